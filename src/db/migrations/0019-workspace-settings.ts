import { DataTypes, type QueryInterface } from "sequelize";

// Settings a workspace admin makes for the whole workspace that are not the default token (issue 15, item
// 12): which GitLab hosts the workspace's repositories may send code and tokens to. A table of its own,
// not columns of workspace_defaults: those rows need an address and a token, and a workspace may restrict
// hosts without giving a default token. No row, or a null list, means any host.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("workspace_settings", {
    client_key: { type: DataTypes.STRING, primaryKey: true },
    allowed_gitlab_hosts: { type: DataTypes.TEXT, allowNull: true },
    updated_by: { type: DataTypes.STRING, allowNull: true },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("workspace_settings");
}
