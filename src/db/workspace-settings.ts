import { DataTypes, type Model, type ModelStatic, type Sequelize } from "sequelize";

/** A workspace's own settings. `allowedGitLabHosts` null: any GitLab host. */
export interface WorkspaceSettingsRow {
  clientKey: string;
  allowedGitLabHosts: string[] | null;
  updatedBy: string | null;
  updatedAt: Date;
}

interface Row {
  clientKey: string;
  allowedGitlabHosts: string | null;
  updatedBy: string | null;
  updatedAt: Date;
}

/** The workspace_settings table: one row per installation at most. */
export class WorkspaceSettings {
  private readonly model: ModelStatic<Model<Row, Row>>;

  constructor(sequelize: Sequelize) {
    this.model = sequelize.define<Model<Row, Row>>(
      "workspaceSetting",
      {
        clientKey: { type: DataTypes.STRING, primaryKey: true },
        allowedGitlabHosts: DataTypes.TEXT,
        updatedBy: DataTypes.STRING,
        updatedAt: DataTypes.DATE,
      },
      { tableName: "workspace_settings", underscored: true, timestamps: false },
    );
  }

  async get(clientKey: string): Promise<WorkspaceSettingsRow> {
    const row = (await this.model.findByPk(clientKey))?.get({ plain: true });
    if (!row) return { clientKey, allowedGitLabHosts: null, updatedBy: null, updatedAt: new Date(0) };
    return {
      clientKey,
      allowedGitLabHosts: row.allowedGitlabHosts === null ? null : (JSON.parse(row.allowedGitlabHosts) as string[]),
      updatedBy: row.updatedBy,
      updatedAt: new Date(row.updatedAt),
    };
  }

  async save(
    clientKey: string,
    s: { allowedGitLabHosts: string[] | null; updatedBy: string | null },
  ): Promise<WorkspaceSettingsRow> {
    await this.model.upsert({
      clientKey,
      allowedGitlabHosts: s.allowedGitLabHosts === null ? null : JSON.stringify(s.allowedGitLabHosts),
      updatedBy: s.updatedBy,
      updatedAt: new Date(),
    });
    return this.get(clientKey);
  }

  /** Uninstall: the tenant's settings go with everything else it had. */
  async removeTenant(clientKey: string): Promise<void> {
    await this.model.destroy({ where: { clientKey } });
  }
}
