import { DataTypes, type QueryInterface } from "sequelize";

// The rest of the Forge edition (issue 11, items 7 and 8).
// - forge_installations.refused_since / gone_at: Forge sends no uninstall event, so an installation is
//   judged gone when its calls stop and its freshest token is no longer accepted (src/forge/forge-reaper.ts);
//   gone_at stops its work, and its data is erased a grace period later unless it calls again.
// - links.adopted_from: the Connect tenant a link was made under, once a Forge installation of the same
//   (verified) workspace adopted it (src/forge/adopt-connect-links.ts).
// - posted_statuses.poster: which installation created the status on Bitbucket (null: the link's owner when
//   it was posted). Bitbucket lets only a status's creator overwrite it.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("forge_installations", "refused_since", { type: DataTypes.BIGINT, allowNull: true });
  await qi.addColumn("forge_installations", "gone_at", { type: DataTypes.BIGINT, allowNull: true });
  await qi.addColumn("links", "adopted_from", { type: DataTypes.STRING(255), allowNull: true });
  await qi.addColumn("posted_statuses", "poster", { type: DataTypes.STRING(255), allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // In place on both databases: Sequelize's removeColumn rebuilds the table on SQLite, and dropping the
  // old `links` would cascade into every table that belongs to a link.
  await qi.sequelize.query("ALTER TABLE posted_statuses DROP COLUMN poster");
  await qi.sequelize.query("ALTER TABLE links DROP COLUMN adopted_from");
  await qi.sequelize.query("ALTER TABLE forge_installations DROP COLUMN gone_at");
  await qi.sequelize.query("ALTER TABLE forge_installations DROP COLUMN refused_since");
}
