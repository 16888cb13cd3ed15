import { DataTypes, type QueryInterface } from "sequelize";

// Warm git caches with several instances (issue 12 §6): each instance keeps its own cache, so a link's
// push sync is cheapest on the instance that synced it last. outbox_affinity records that instance per
// link; outbox_instances is each instance's heartbeat, so the others know when the holder is gone. The
// claim (src/outbox/claim-sql.ts) gives the holder a head start on the link's git work.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("outbox_affinity", {
    link_id: { type: DataTypes.STRING(64), primaryKey: true },
    instance_id: { type: DataTypes.STRING(64), allowNull: false },
    at: { type: DataTypes.BIGINT, allowNull: false },
  });
  await qi.createTable("outbox_instances", {
    id: { type: DataTypes.STRING(64), primaryKey: true },
    seen_at: { type: DataTypes.BIGINT, allowNull: false },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("outbox_instances");
  await qi.dropTable("outbox_affinity");
}
