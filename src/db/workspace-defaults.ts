import { DataTypes, type Model, type ModelStatic, type Sequelize } from "sequelize";
import type { SecretBox } from "../security/secret-box";

/** A workspace's default GitLab address and token. `token` is plain here, sealed at rest. */
export interface WorkspaceDefault {
  clientKey: string;
  gitlabUrl: string;
  token: string;
  tokenHint: string;
  /** The GitLab username the token belongs to, and their display name, as GitLab said when it was stored. */
  tokenOwner: string;
  tokenOwnerName: string | null;
  updatedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewWorkspaceDefault = Omit<WorkspaceDefault, "tokenHint" | "createdAt" | "updatedAt">;

type Row = WorkspaceDefault;

/** The workspace_defaults table: one row per installation at most. */
export class WorkspaceDefaults {
  private readonly model: ModelStatic<Model<Row, Row>>;

  constructor(
    sequelize: Sequelize,
    private readonly box: SecretBox,
  ) {
    this.model = sequelize.define<Model<Row, Row>>(
      "workspaceDefault",
      {
        clientKey: { type: DataTypes.STRING, primaryKey: true },
        gitlabUrl: DataTypes.STRING,
        token: DataTypes.TEXT,
        tokenHint: DataTypes.STRING,
        tokenOwner: DataTypes.STRING,
        tokenOwnerName: DataTypes.STRING,
        updatedBy: DataTypes.STRING,
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { tableName: "workspace_defaults", underscored: true, timestamps: false },
    );
  }

  async get(clientKey: string): Promise<WorkspaceDefault | null> {
    const row = (await this.model.findByPk(clientKey))?.get({ plain: true }) ?? null;
    if (!row) return null;
    return { ...row, token: this.box.open(row.token), createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt) };
  }

  /** Stores the workspace's defaults, replacing earlier ones; the token is sealed on the way in. */
  async save(d: NewWorkspaceDefault): Promise<WorkspaceDefault> {
    const now = new Date();
    const existing = (await this.model.findByPk(d.clientKey))?.get({ plain: true }) ?? null;
    await this.model.upsert({
      ...d,
      token: this.box.seal(d.token),
      tokenHint: d.token.slice(-4),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    return (await this.get(d.clientKey))!;
  }

  async remove(clientKey: string): Promise<boolean> {
    return (await this.model.destroy({ where: { clientKey } })) > 0;
  }

  /** Uninstall: the tenant's defaults go with everything else it had. */
  async removeTenant(clientKey: string): Promise<void> {
    await this.model.destroy({ where: { clientKey } });
  }
}
