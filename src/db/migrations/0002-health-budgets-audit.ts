import { DataTypes, type QueryInterface } from "sequelize";

// What issue 3 and 4 need stored: when each link last heard from GitLab (a silent webhook is noticed),
// when a posted status was last checked against GitLab (reconciliation), a Bitbucket call budget per
// installation (rate limits), and who changed which link when (audit).
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn("links", "webhook_last_received_at", { type: DataTypes.BIGINT });
  await qi.addColumn("links", "webhook_missed_at", { type: DataTypes.BIGINT });
  await qi.addColumn("posted_statuses", "checked_at", { type: DataTypes.BIGINT });

  await qi.createTable("tenant_budgets", {
    client_key: { type: DataTypes.STRING(255), primaryKey: true },
    tokens: { type: DataTypes.DOUBLE, allowNull: false },
    refilled_at: { type: DataTypes.BIGINT, allowNull: false },
    paused_until: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
  });

  await qi.createTable("audit_events", {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    client_key: { type: DataTypes.STRING(255), allowNull: false },
    repo_uuid: { type: DataTypes.STRING(64), allowNull: false },
    actor: { type: DataTypes.STRING(128) },
    action: { type: DataTypes.STRING(32), allowNull: false },
    summary: { type: DataTypes.STRING(512), allowNull: false },
    at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex("audit_events", ["client_key", "repo_uuid", "at"], { name: "audit_events_repo" });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("audit_events");
  await qi.dropTable("tenant_budgets");
  await qi.removeColumn("posted_statuses", "checked_at");
  await qi.removeColumn("links", "webhook_missed_at");
  await qi.removeColumn("links", "webhook_last_received_at");
}
