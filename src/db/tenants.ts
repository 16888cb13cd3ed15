import { FORGE_KEY_PREFIX } from "../installations/installation";
import { DataTypes, Op, UniqueConstraintError, type Model, type ModelStatic, type Sequelize } from "sequelize";
import type { SecretBox } from "../security/secret-box";

/** An installation of the app in one Bitbucket workspace (Connect calls it a client). */
export interface Tenant {
  clientKey: string;
  appKey: string;
  sharedSecret: string;
  baseUrl: string;
  baseApiUrl: string;
  workspaceUuid: string;
  workspaceName: string | null;
  installedAt: Date;
}

type Row = Omit<Tenant, "installedAt"> & { installedAt: Date; updatedAt: Date };

/** The tenant table; the shared secret is sealed on the way in and opened on the way out. */
export class Tenants {
  private readonly model: ModelStatic<Model<Row, Row>>;

  constructor(
    sequelize: Sequelize,
    private readonly box: SecretBox,
  ) {
    this.model = sequelize.define<Model<Row, Row>>(
      "tenant",
      {
        clientKey: { type: DataTypes.STRING, primaryKey: true },
        appKey: DataTypes.STRING,
        sharedSecret: DataTypes.TEXT,
        baseUrl: DataTypes.STRING,
        baseApiUrl: DataTypes.STRING,
        workspaceUuid: DataTypes.STRING,
        workspaceName: DataTypes.STRING,
        installedAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { tableName: "tenants", underscored: true, timestamps: false },
    );
  }

  /** A Connect tenant; never a Forge installation's owner row (see migration 0007). */
  async find(clientKey: string): Promise<Tenant | null> {
    if (clientKey.startsWith(FORGE_KEY_PREFIX)) return null;
    const row = (await this.model.findByPk(clientKey))?.get({ plain: true }) ?? null;
    return row ? { ...row, sharedSecret: this.box.open(row.sharedSecret) } : null;
  }

  /** Creates the tenant or, on a re-install, replaces its secret and hosts. */
  async save(t: Omit<Tenant, "installedAt">): Promise<void> {
    const now = new Date();
    const existing = (await this.model.findByPk(t.clientKey))?.get({ plain: true }) ?? null;
    await this.model.upsert({
      ...t,
      sharedSecret: this.box.seal(t.sharedSecret),
      installedAt: existing?.installedAt ?? now,
      updatedAt: now,
    });
  }

  /**
   * Stores a first install. False when another install of the same clientKey was stored first: the
   * primary key decides, so two concurrent first installs cannot both pass.
   */
  async insertNew(t: Omit<Tenant, "installedAt">): Promise<boolean> {
    const now = new Date();
    try {
      await this.model.create({ ...t, sharedSecret: this.box.seal(t.sharedSecret), installedAt: now, updatedAt: now });
      return true;
    } catch (e) {
      if (e instanceof UniqueConstraintError) return false;
      throw e;
    }
  }

  /**
   * Replaces a tenant's secret and hosts, but only while it still holds `previousSecret` (compare and
   * swap on the sealed value): of two concurrent re-installs, the second finds the first's secret and fails.
   */
  async replace(t: Omit<Tenant, "installedAt">, previousSecret: string): Promise<boolean> {
    const row = (await this.model.findByPk(t.clientKey))?.get({ plain: true });
    if (!row || this.box.open(row.sharedSecret) !== previousSecret) return false;
    const [changed] = await this.model.update(
      { ...t, sharedSecret: this.box.seal(t.sharedSecret), updatedAt: new Date() },
      { where: { clientKey: t.clientKey, sharedSecret: row.sharedSecret } },
    );
    return changed === 1;
  }

  async remove(clientKey: string): Promise<void> {
    await this.model.destroy({ where: { clientKey } });
  }

  async count(): Promise<number> {
    return this.model.count({ where: { clientKey: { [Op.notLike]: `${FORGE_KEY_PREFIX}%` } } });
  }
}
