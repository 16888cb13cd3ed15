import { DataTypes, type QueryInterface } from "sequelize";

// Code Insights: a per-link switch (on by default, existing links included), and which reports the app
// published on which commit for which pipeline, so a re-run replaces them (old annotations deleted) and a
// report is not published twice for one pipeline.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("links", "reports", { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true });
  await qi.createTable("published_reports", {
    link_id: {
      type: DataTypes.STRING(36),
      allowNull: false,
      primaryKey: true,
      references: { model: "links", key: "id" },
      onDelete: "CASCADE",
    },
    sha: { type: DataTypes.STRING(40), allowNull: false, primaryKey: true },
    report_id: { type: DataTypes.STRING(64), allowNull: false, primaryKey: true },
    pipeline_id: { type: DataTypes.BIGINT, allowNull: false },
    result: { type: DataTypes.STRING(16), allowNull: false },
    annotations: { type: DataTypes.INTEGER, allowNull: false },
    ref: { type: DataTypes.STRING(255), allowNull: true },
    published_at: { type: DataTypes.BIGINT, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("published_reports");
  // In place on both databases: Sequelize's removeColumn rebuilds the table on SQLite, and dropping the
  // old `links` would cascade into every table that belongs to a link.
  await qi.sequelize.query("ALTER TABLE links DROP COLUMN reports");
}
