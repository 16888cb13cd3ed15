import { DataTypes, type QueryInterface } from "sequelize";

// Times the outbox compares in SQL are epoch milliseconds (BIGINT): the same arithmetic on SQLite and
// PostgreSQL, no time-zone or text-format surprises.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("tenants", {
    client_key: { type: DataTypes.STRING(255), primaryKey: true },
    app_key: { type: DataTypes.STRING(64), allowNull: false },
    shared_secret: { type: DataTypes.TEXT, allowNull: false }, // sealed
    base_url: { type: DataTypes.STRING(255), allowNull: false },
    base_api_url: { type: DataTypes.STRING(255), allowNull: false },
    workspace_uuid: { type: DataTypes.STRING(64), allowNull: false },
    workspace_name: { type: DataTypes.STRING(255) },
    installed_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });

  await qi.createTable("links", {
    id: { type: DataTypes.STRING(36), primaryKey: true },
    client_key: {
      type: DataTypes.STRING(255),
      allowNull: false,
      references: { model: "tenants", key: "client_key" },
      onDelete: "CASCADE",
    },
    repo_uuid: { type: DataTypes.STRING(64), allowNull: false },
    repo_full_name: { type: DataTypes.STRING(255) },
    gitlab_url: { type: DataTypes.STRING(255), allowNull: false },
    project_id: { type: DataTypes.INTEGER, allowNull: false },
    project_path: { type: DataTypes.STRING(255), allowNull: false },
    project_web_url: { type: DataTypes.STRING(512), allowNull: false },
    token: { type: DataTypes.TEXT, allowNull: false }, // sealed
    token_hint: { type: DataTypes.STRING(8), allowNull: false },
    webhook_secret: { type: DataTypes.TEXT, allowNull: false }, // sealed
    webhook_id: { type: DataTypes.INTEGER },
    status_mode: { type: DataTypes.STRING(16), allowNull: false },
    mirror_state: { type: DataTypes.TEXT }, // JSON: what GitLab said about the last mirror update
    created_by: { type: DataTypes.STRING(128) },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex("links", ["client_key", "repo_uuid"], { unique: true, name: "links_tenant_repo" });

  await qi.createTable("outbox", {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    client_key: { type: DataTypes.STRING(255), allowNull: false },
    link_id: { type: DataTypes.STRING(36) },
    kind: { type: DataTypes.STRING(32), allowNull: false },
    dedupe_key: { type: DataTypes.STRING(512), allowNull: false },
    payload: { type: DataTypes.TEXT, allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false }, // pending | running | dead
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    run_at: { type: DataTypes.BIGINT, allowNull: false },
    lease_until: { type: DataTypes.BIGINT },
    last_error: { type: DataTypes.TEXT },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    updated_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  // At most one waiting row per key: newer work for the same key folds into it (coalescing), and a row
  // being delivered can have exactly one follow-up behind it.
  await qi.addIndex("outbox", ["dedupe_key"], { unique: true, where: { state: "pending" }, name: "outbox_one_pending_per_key" });
  await qi.addIndex("outbox", ["state", "run_at"], { name: "outbox_due" });
  await qi.addIndex("outbox", ["dedupe_key", "state"], { name: "outbox_key_state" });
  await qi.addIndex("outbox", ["client_key"], { name: "outbox_tenant" });

  await qi.createTable("deliveries", {
    source: { type: DataTypes.STRING(16), primaryKey: true },
    delivery_id: { type: DataTypes.STRING(128), primaryKey: true },
    client_key: { type: DataTypes.STRING(255), allowNull: false },
    received_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex("deliveries", ["client_key"], { name: "deliveries_tenant" });
  await qi.addIndex("deliveries", ["received_at"], { name: "deliveries_age" });

  await qi.createTable("posted_statuses", {
    link_id: { type: DataTypes.STRING(36), primaryKey: true, references: { model: "links", key: "id" }, onDelete: "CASCADE" },
    sha: { type: DataTypes.STRING(40), primaryKey: true },
    status_key: { type: DataTypes.STRING(40), primaryKey: true },
    pipeline_id: { type: DataTypes.INTEGER, allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false },
    fingerprint: { type: DataTypes.STRING(64), allowNull: false },
    ref: { type: DataTypes.STRING(255) },
    posted_at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.addIndex("posted_statuses", ["state", "posted_at"], { name: "posted_statuses_state_age" });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("posted_statuses");
  await qi.dropTable("deliveries");
  await qi.dropTable("outbox");
  await qi.dropTable("links");
  await qi.dropTable("tenants");
}
