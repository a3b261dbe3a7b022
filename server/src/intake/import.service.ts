import { IsNull } from 'typeorm';
import { invisibleCharMessage, leadCreateSchema } from '@lifeline/shared';
import { headerFields, normaliseLead, rowFields } from '@lifeline/shared/src/intake';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit } from '../audit/audit.service';
import { Customer } from '../customers/customer.entity';
import { AppError, badRequest, notFound } from '../http/errors';
import { parseInput } from '../http/validate';
import { Lead } from '../leads/lead.entity';
import type { LeadService } from '../leads/leads.service';
import type { Logger } from '../logger';
import { ImportJob, type ImportRowReport } from './intake.entities';
import { parseImportFile } from './import-file';
import { assertCan } from '../auth/permissions';

const MAX_ROWS = 20_000;
const PROGRESS_EVERY = 50;
/** A job still 'running' this long after it started was cut off by a restart (20,000 rows take minutes, not an hour). */
const STALE_AFTER_MS = 60 * 60_000;

/**
 * Excel/CSV import: the file is parsed up front (format, encoding, header), a job row records progress,
 * and rows are written one by one through the lead service (attach by phone, score, route), each in its own
 * transaction, so a bad row never takes good rows with it. The per-row report lands on the job.
 */
export class ImportService {
  /** Jobs this process is running now (a job can only be interrupted if no live process runs it). */
  private readonly active = new Set<number>();

  constructor(
    private readonly app: AppContext,
    private readonly leads: LeadService,
  ) {}

  async start(actor: Actor, file: Buffer, opts: { filename: string; channel: string }, log?: Logger, requestId?: string) {
    assertCan(actor, 'import.create');
    const channel = opts.channel.trim();
    if (!channel) throw badRequest('请在地址中给出渠道标签：?channel=渠道标签（如 地推-展会二维码）');
    if (channel.length > 64) throw badRequest('渠道标签最多64个字');
    const invisible = invisibleCharMessage('渠道标签', channel) ?? invisibleCharMessage('文件名', opts.filename);
    if (invisible) throw badRequest(invisible);
    if (!file.length) throw badRequest('上传的文件是空的');
    let parsed;
    try {
      parsed = await parseImportFile(file);
    } catch {
      throw badRequest('无法读取文件：请上传 .xlsx 或 .csv 文件（UTF-8 或 GBK 编码）');
    }
    const [header, ...rows] = parsed.rows;
    const fields = headerFields(header ?? []);
    if (![...fields.values()].includes('phone')) {
      throw badRequest('第1行没有找到“手机号”列：请把表头写成 手机号、称呼、城市、年级、关注点 等');
    }
    if (!rows.length) throw badRequest('文件只有表头，没有数据行');
    if (rows.length > MAX_ROWS) throw badRequest(`一次最多导入 ${MAX_ROWS} 行，当前 ${rows.length} 行，请拆分文件`);
    const now = this.app.clock.now();
    const job = await this.app.tx.run(async (em) => {
      const row = em.getRepository(ImportJob).create({
        companyId: actor.companyId,
        filename: opts.filename.slice(0, 128),
        format: parsed.format,
        encoding: parsed.encoding,
        channel,
        status: 'running',
        total: rows.length,
        processed: 0,
        created: 0,
        merged: 0,
        rejected: 0,
        report: [],
        error: null,
        createdBy: actor.id,
        createdAt: now,
        finishedAt: null,
      });
      await em.getRepository(ImportJob).insert(row);
      await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('import_job', row.id, {
        filename: row.filename,
        format: row.format,
        encoding: row.encoding,
        channel,
        total: rows.length,
      });
      return row;
    });
    this.active.add(job.id);
    const done = this.run(actor, job, rows, fields, requestId)
      .finally(() => this.active.delete(job.id))
      .catch(async (err) => {
        log?.error({ err, jobId: job.id }, 'import failed');
        await this.app.tx.run((em) =>
          em.getRepository(ImportJob).update({ id: job.id }, { status: 'failed', error: '导入中断：服务器内部错误', finishedAt: this.app.clock.now() }),
        );
      });
    return { job: view(job), done };
  }

  private async run(actor: Actor, job: ImportJob, rows: unknown[][], fields: ReturnType<typeof headerFields>, requestId?: string) {
    const report: ImportRowReport[] = [];
    const counts = { created: 0, merged: 0, rejected: 0 };
    for (let i = 0; i < rows.length; i++) {
      const line = i + 2; // spreadsheet row number (the header is row 1)
      const r = await this.importRow(actor, job.channel, rowFields(rows[i], fields), line, requestId);
      report.push(r);
      counts[r.outcome]++;
      if ((i + 1) % PROGRESS_EVERY === 0) {
        await this.app.tx.run((em) => em.getRepository(ImportJob).update({ id: job.id }, { processed: i + 1, ...counts }));
      }
      // Let requests in between rows: with SQLite's synchronous driver the loop would otherwise hold the event loop.
      await new Promise((res) => setImmediate(res));
    }
    await this.app.tx.run((em) =>
      em.getRepository(ImportJob).update({ id: job.id }, { processed: rows.length, ...counts, report, status: 'done', finishedAt: this.app.clock.now() }),
    );
  }

  private async importRow(actor: Actor, channel: string, raw: ReturnType<typeof rowFields>, row: number, requestId?: string): Promise<ImportRowReport> {
    const norm = normaliseLead(raw);
    if (!norm.ok) return { row, outcome: 'rejected', reason: norm.reason };
    const { externalId: _x, channel: rowChannel, ...fields } = norm.lead;
    void _x;
    let body;
    try {
      body = parseInput(leadCreateSchema, { ...fields, channel: rowChannel ?? channel });
    } catch (err) {
      return { row, outcome: 'rejected', reason: err instanceof AppError ? err.message : '数据格式不正确' };
    }
    const warnings = norm.warnings.length ? norm.warnings : undefined;
    // Re-importing the same file must not double the leads: a customer with a live lead from the same
    // channel is reported as merged and left alone.
    const existing = await this.app.ds.getRepository(Customer).findOneBy({ companyId: actor.companyId, phone: body.phone });
    if (existing) {
      const same = await this.app.ds.getRepository(Lead).findOne({
        where: { companyId: actor.companyId, customerId: existing.id, channel: body.channel, deletedAt: IsNull() },
        order: { id: 'DESC' },
      });
      if (same) {
        return { row, outcome: 'merged', leadId: same.id, customerId: existing.id, reason: '该客户已有同渠道线索，未重复创建', warnings };
      }
    }
    try {
      const created = await this.leads.create(actor, body, requestId);
      return {
        row,
        outcome: created.customerCreated ? 'created' : 'merged',
        leadId: created.lead.id,
        customerId: created.lead.customerId,
        ...(created.customerCreated ? {} : { reason: '手机号已是老客户，新线索已挂到该客户下' }),
        warnings,
      };
    } catch (err) {
      if (err instanceof AppError) return { row, outcome: 'rejected', reason: err.message };
      throw err;
    }
  }

  async get(actor: Actor, id: number) {
    const found = await this.app.ds.getRepository(ImportJob).findOneBy({ id, companyId: actor.companyId });
    if (!found || (actor.role !== 'admin' && actor.role !== 'ops' && found.createdBy !== actor.id)) throw notFound(`导入任务不存在（ID ${id}）`);
    const job = await this.settleIfInterrupted(found);
    return { ...view(job), report: job.report };
  }

  /**
   * A job left 'running' by a process that died (deploy, crash) would spin forever in the UI: once it is
   * clearly too old, it is marked failed with what was done and how to finish (re-uploading is safe: rows
   * already imported come back as merged, never duplicated).
   */
  private async settleIfInterrupted(job: ImportJob): Promise<ImportJob> {
    const now = this.app.clock.now();
    if (job.status !== 'running' || this.active.has(job.id) || now - job.createdAt < STALE_AFTER_MS) return job;
    const error = `导入被服务重启中断：已处理 ${job.processed}/${job.total} 行。请重新上传同一文件，已导入的行会显示为合并，不会重复`;
    await this.app.tx.run((em) => em.getRepository(ImportJob).update({ id: job.id, status: 'running' }, { status: 'failed', error, finishedAt: now }));
    return { ...job, status: 'failed', error, finishedAt: now };
  }

  async list(actor: Actor) {
    const rows = await this.app.ds.getRepository(ImportJob).find({
      where: actor.role === 'admin' || actor.role === 'ops' ? { companyId: actor.companyId } : { companyId: actor.companyId, createdBy: actor.id },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: 50,
    });
    const settled = await Promise.all(rows.map((j) => this.settleIfInterrupted(j)));
    return { items: settled.map(view) };
  }
}

function view(j: ImportJob) {
  return {
    id: j.id,
    filename: j.filename,
    format: j.format,
    encoding: j.encoding,
    channel: j.channel,
    status: j.status,
    total: j.total,
    processed: j.processed,
    progress: j.total ? Math.round((j.processed / j.total) * 100) : 100,
    created: j.created,
    merged: j.merged,
    rejected: j.rejected,
    error: j.error,
    createdAt: j.createdAt,
    finishedAt: j.finishedAt,
  };
}
