import { DataTypes, type QueryInterface } from "sequelize";

// Issue 5, items 3 and 5. A workspace's default GitLab address and token (so repository admins only pick
// a project), and two facts per link: whether it uses the workspace's token (a change of that token then
// reaches it) and whether the app created the GitLab project and so keeps its pull-mirror credentials (a
// Bitbucket access token that lives 2 hours) fresh before each trigger.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("workspace_defaults", {
    client_key: {
      type: DataTypes.STRING(255),
      primaryKey: true,
      references: { model: "tenants", key: "client_key" },
      onDelete: "CASCADE",
    },
    gitlab_url: { type: DataTypes.STRING(255), allowNull: false },
    token: { type: DataTypes.TEXT, allowNull: false }, // sealed
    token_hint: { type: DataTypes.STRING(8), allowNull: false },
    token_owner: { type: DataTypes.STRING(255), allowNull: false }, // GitLab username
    token_owner_name: { type: DataTypes.STRING(255) },
    updated_by: { type: DataTypes.STRING(128) },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addColumn("links", "token_source", { type: DataTypes.STRING(16), allowNull: false, defaultValue: "repository" });
  await qi.addColumn("links", "manages_mirror", { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn("links", "manages_mirror");
  await qi.removeColumn("links", "token_source");
  await qi.dropTable("workspace_defaults");
}
