import { DataTypes, type QueryInterface } from "sequelize";

// The catch-up sweep's memory per link: the newest pipeline update it has seen (so the first sweep after
// downtime covers the time the app was down) and when the link is next due (spread over the interval,
// claimed by one instance at a time). Tied to the link: unlinking forgets it.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable("link_sweeps", {
    link_id: {
      type: DataTypes.STRING(36),
      primaryKey: true,
      references: { model: "links", key: "id" },
      onDelete: "CASCADE",
    },
    high_water: { type: DataTypes.STRING(40), allowNull: true },
    next_at: { type: DataTypes.BIGINT, allowNull: false },
    swept_at: { type: DataTypes.BIGINT, allowNull: true },
  });
  await qi.addIndex("link_sweeps", ["next_at"], { name: "link_sweeps_due" });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable("link_sweeps");
}
