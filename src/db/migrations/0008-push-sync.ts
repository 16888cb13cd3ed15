import { DataTypes, type QueryInterface } from "sequelize";

// Push sync (issue 12): a link either pushes Bitbucket's refs to GitLab itself ("push") or asks GitLab's
// pull mirror to update ("mirror", what every link did before, so existing rows keep it). `last_sync`
// holds the latest push sync's outcome as JSON for the settings page. `pushed_refs` remembers which
// GitLab refs the app pushed (only those may be deleted when Bitbucket deletes them) and for which sha it
// last created a pipeline, so a pipeline that could not be created is retried without pushing again.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("links", "sync", { type: DataTypes.STRING(16), allowNull: false, defaultValue: "mirror" });
  await qi.addColumn("links", "last_sync", { type: DataTypes.TEXT, allowNull: true });
  await qi.createTable("pushed_refs", {
    link_id: {
      type: DataTypes.STRING(36),
      allowNull: false,
      primaryKey: true,
      references: { model: "links", key: "id" },
      onDelete: "CASCADE",
    },
    ref: { type: DataTypes.STRING(1024), allowNull: false, primaryKey: true },
    sha: { type: DataTypes.STRING(64), allowNull: false },
    pipeline_sha: { type: DataTypes.STRING(64), allowNull: true },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("pushed_refs");
  // Not qi.removeColumn: on SQLite it rebuilds `links`, and dropping the old table would cascade into
  // link_events and pushed rows of other tables. Both databases drop a column in place.
  await qi.sequelize.query("ALTER TABLE links DROP COLUMN last_sync");
  await qi.sequelize.query("ALTER TABLE links DROP COLUMN sync");
}
