import { DataTypes, type QueryInterface } from "sequelize";

// Forge installations (issue 11). Links, budgets and workspace defaults belong to an owner row in
// `tenants` (their foreign keys, ON DELETE CASCADE, since 0001/0004/0005). Rebuilding those tables to point
// at another owner would mean dropping `links` on SQLite, which cascades to its own children; so a Forge
// installation gets an owner row in `tenants` too, keyed `forge:<installationId>` (a prefix Connect's
// lifecycle refuses and Connect's tenant lookups never return), and its Forge facts live here beside it.
// Erasing the owner row erases everything of the installation, exactly as for a Connect tenant.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("forge_installations", {
    installation_id: { type: DataTypes.STRING(255), primaryKey: true },
    client_key: {
      type: DataTypes.STRING(255),
      allowNull: false,
      unique: true,
      references: { model: "tenants", key: "client_key" },
      onDelete: "CASCADE",
    },
    workspace_uuid: { type: DataTypes.STRING(64), allowNull: false },
    api_base_url: { type: DataTypes.STRING(255), allowNull: false },
    system_token: { type: DataTypes.TEXT }, // sealed
    token_expires_at: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
    last_contact_at: { type: DataTypes.BIGINT, allowNull: false },
    last_tick_at: { type: DataTypes.BIGINT },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex("forge_installations", ["workspace_uuid"], { name: "forge_installations_workspace" });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  // Going down forgets Forge installations entirely: their owner rows take links, budgets and defaults along.
  for (const table of ["outbox", "deliveries", "audit_events", "link_events"])
    await qi.sequelize.query(`DELETE FROM ${table} WHERE client_key LIKE 'forge:%'`);
  await qi.sequelize.query(`DELETE FROM tenants WHERE client_key LIKE 'forge:%'`);
  await qi.dropTable("forge_installations");
}
