import { DataTypes, type QueryInterface } from "sequelize";

// The fair claim (src/outbox/claim-sql.ts) walks the links that have waiting work and takes the oldest
// few rows of each: both steps are seeks on this index, so a claim costs a few lookups per busy link
// instead of a scan of every waiting row. A link whose GitLab budget is spent is held in outbox_holds
// and passed over whole until then.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addIndex("outbox", ["state", "link_id", "run_at", "id"], { name: "outbox_lanes" });
  await qi.createTable("outbox_holds", {
    link_id: { type: DataTypes.STRING(64), primaryKey: true },
    held_until: { type: DataTypes.BIGINT, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("outbox_holds");
  await qi.removeIndex("outbox", "outbox_lanes");
}
