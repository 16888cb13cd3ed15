import { DataTypes, type QueryInterface } from "sequelize";

// forge_installations.suspected_at: when a `preUninstall` call (unverifiable: only a hint) or days of
// silence made the installation suspect. A suspected installation's catch-up sweeps pause; its queued work
// and GitLab webhooks stay until Bitbucket refuses its token (src/forge/forge-reaper.ts). Any verified call
// from it clears the mark.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("forge_installations", "suspected_at", { type: DataTypes.BIGINT, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // In place on both databases (removeColumn rebuilds the table on SQLite).
  await qi.sequelize.query("ALTER TABLE forge_installations DROP COLUMN suspected_at");
}
