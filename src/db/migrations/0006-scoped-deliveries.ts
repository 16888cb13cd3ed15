import { DataTypes, type ModelAttributes, type QueryInterface } from "sequelize";

// Delivery ids were unique per source across every link and tenant, but GitLab sends one event to each
// hook of a project with the same Idempotency-Key / X-Gitlab-Event-UUID: with two repositories linked to
// one project, the second link's event was answered "duplicate" and dropped. Ids are now unique within a
// scope: the link for GitLab, the installation (clientKey) for Bitbucket. The key is the primary key, so
// the table is rebuilt (SQLite cannot alter one). Existing rows are carried over scoped to their tenant:
// right for Bitbucket; a GitLab id from before the upgrade no longer matches its link's resend, which is
// harmless (a status sync re-reads GitLab). Going down keeps one row per (source, id).
//
// The settings page reads a link's given-up rows, newest first and bounded (issue 17 item 7): an index
// on (link_id, state, id) serves that without reading every dead row of the tenant.

const deliveries = (scoped: boolean): ModelAttributes => ({
  source: { type: DataTypes.STRING(16), primaryKey: true },
  ...(scoped ? { scope: { type: DataTypes.STRING(255), primaryKey: true } } : {}),
  delivery_id: { type: DataTypes.STRING(128), primaryKey: true },
  client_key: { type: DataTypes.STRING(255), allowNull: false },
  received_at: { type: DataTypes.BIGINT, allowNull: false },
});

async function rebuild(qi: QueryInterface, scoped: boolean, copy: string): Promise<void> {
  await qi.createTable("deliveries_next", deliveries(scoped));
  await qi.sequelize.query(copy);
  await qi.dropTable("deliveries");
  await qi.renameTable("deliveries_next", "deliveries");
  await qi.addIndex("deliveries", ["client_key"], { name: "deliveries_tenant" });
  await qi.addIndex("deliveries", ["received_at"], { name: "deliveries_age" });
}

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await rebuild(
    qi,
    true,
    `INSERT INTO deliveries_next (source, scope, delivery_id, client_key, received_at)
     SELECT source, client_key, delivery_id, client_key, received_at FROM deliveries`,
  );
  await qi.addIndex("outbox", ["link_id", "state", "id"], { name: "outbox_link_state" });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex("outbox", "outbox_link_state");
  await rebuild(
    qi,
    false,
    `INSERT INTO deliveries_next (source, delivery_id, client_key, received_at)
     SELECT source, delivery_id, MIN(client_key), MAX(received_at) FROM deliveries GROUP BY source, delivery_id`,
  );
}
