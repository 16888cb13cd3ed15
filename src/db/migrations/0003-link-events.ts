import { DataTypes, type QueryInterface } from "sequelize";

// The settings page's "last 50 events": one row per delivery attempt, saying what came in, what we did,
// what the peer answered and how long it took.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("link_events", {
    id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
    link_id: { type: DataTypes.STRING(36), allowNull: false },
    client_key: { type: DataTypes.STRING(255), allowNull: false },
    at: { type: DataTypes.BIGINT, allowNull: false },
    kind: { type: DataTypes.STRING(32), allowNull: false },
    outcome: { type: DataTypes.STRING(16), allowNull: false }, // done | retry | failed | deferred
    summary: { type: DataTypes.STRING(512), allowNull: false },
    duration_ms: { type: DataTypes.INTEGER, allowNull: false },
  });
  await qi.addIndex("link_events", ["link_id", "id"], { name: "link_events_link" });
  await qi.addIndex("link_events", ["client_key"], { name: "link_events_tenant" });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("link_events");
}
