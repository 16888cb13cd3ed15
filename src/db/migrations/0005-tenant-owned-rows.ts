import { DataTypes, type ModelAttributes, type QueryInterface } from "sequelize";

// An uninstall erases the tenant, but a delivery already in flight could still write its event-log row or
// take from the installation's budget after the erase had passed those tables (CI caught a link_events row
// left behind). Tying both tables to their owner with ON DELETE CASCADE closes that window for good: a late
// write finds no owner and is refused by the database, and whatever went in before goes with the owner.
// Neither SQLite nor a portable ALTER can add a foreign key to an existing table, so each is rebuilt and its
// rows copied (rows of owners already gone are dropped, as the uninstall meant them to be).

const linkEvents = (withOwner: boolean): ModelAttributes => ({
  id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
  link_id: {
    type: DataTypes.STRING(36),
    allowNull: false,
    ...(withOwner ? { references: { model: "links", key: "id" }, onDelete: "CASCADE" } : {}),
  },
  client_key: { type: DataTypes.STRING(255), allowNull: false },
  at: { type: DataTypes.BIGINT, allowNull: false },
  kind: { type: DataTypes.STRING(32), allowNull: false },
  outcome: { type: DataTypes.STRING(16), allowNull: false },
  summary: { type: DataTypes.STRING(512), allowNull: false },
  duration_ms: { type: DataTypes.INTEGER, allowNull: false },
});

const tenantBudgets = (withOwner: boolean): ModelAttributes => ({
  client_key: {
    type: DataTypes.STRING(255),
    primaryKey: true,
    ...(withOwner ? { references: { model: "tenants", key: "client_key" }, onDelete: "CASCADE" } : {}),
  },
  tokens: { type: DataTypes.DOUBLE, allowNull: false },
  refilled_at: { type: DataTypes.BIGINT, allowNull: false },
  paused_until: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
});

interface Rebuild {
  table: string;
  attributes: ModelAttributes;
  /** Columns copied across; an autoincrement id is left out so the new table's sequence stays right. */
  copy: string[];
  /** Which rows survive (their owner still exists), or nothing to keep every row. */
  where?: string;
  order?: string;
  indexes: { fields: string[]; name: string }[];
}

async function rebuild(qi: QueryInterface, r: Rebuild): Promise<void> {
  const next = `${r.table}_next`;
  await qi.createTable(next, r.attributes);
  const cols = r.copy.join(", ");
  await qi.sequelize.query(
    `INSERT INTO ${next} (${cols}) SELECT ${cols} FROM ${r.table}${r.where ? ` WHERE ${r.where}` : ""}${r.order ? ` ORDER BY ${r.order}` : ""}`,
  );
  await qi.dropTable(r.table);
  await qi.renameTable(next, r.table);
  for (const index of r.indexes) await qi.addIndex(r.table, index.fields, { name: index.name });
}

const plan = (withOwner: boolean): Rebuild[] => [
  {
    table: "link_events",
    attributes: linkEvents(withOwner),
    copy: ["link_id", "client_key", "at", "kind", "outcome", "summary", "duration_ms"],
    where: withOwner ? "link_id IN (SELECT id FROM links)" : undefined,
    order: "id",
    indexes: [
      { fields: ["link_id", "id"], name: "link_events_link" },
      { fields: ["client_key"], name: "link_events_tenant" },
    ],
  },
  {
    table: "tenant_budgets",
    attributes: tenantBudgets(withOwner),
    copy: ["client_key", "tokens", "refilled_at", "paused_until"],
    where: withOwner ? "client_key IN (SELECT client_key FROM tenants)" : undefined,
    indexes: [],
  },
];

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const step of plan(true)) await rebuild(qi, step);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const step of plan(false)) await rebuild(qi, step);
}
