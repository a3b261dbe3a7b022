import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';
import { CSV_EXPECTED, CSV_ROWS, XLSX_EXPECTED, gbkCsv, xlsx } from '../fixtures/import-files';

function expectReport(report: any[], expected: { row: number; outcome: string; reason?: RegExp; warnings?: RegExp }[]) {
  expect(report.map((r) => [r.row, r.outcome])).toEqual(expected.map((e) => [e.row, e.outcome]));
  for (const e of expected) {
    const r = report.find((x) => x.row === e.row);
    if (e.reason) expect(r.reason, `row ${e.row}`).toMatch(e.reason);
    if (e.warnings) expect((r.warnings ?? []).join(' '), `row ${e.row}`).toMatch(e.warnings);
    if (e.outcome !== 'rejected') expect(r.leadId, `row ${e.row}`).toBeGreaterThan(0);
  }
}

describeEachDb('Excel/CSV import with a per-row report', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const upload = async (buf: Buffer, qs: string, opts: { as?: string; wait?: boolean; type?: string } = {}) => {
    const token = await h.token(opts.as ?? '黄蓉');
    const res = await fetch(`${h.base}/api/imports?${qs}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': opts.type ?? 'text/csv', ...(opts.wait === false ? {} : { prefer: 'wait' }) },
      body: new Uint8Array(buf),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('a GBK CSV: created / merged / rejected per row with reasons; duplicates never make customers', async () => {
    const leads = await h.count('`lead`');
    const customers = await h.count('customer');
    const r = await upload(gbkCsv(), `channel=${encodeURIComponent('地推-展会二维码')}&filename=expo.csv`);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      status: 'done',
      format: 'csv',
      encoding: 'gb18030',
      total: 7,
      processed: 7,
      progress: 100,
      created: 2,
      merged: 2,
      rejected: 3,
    });
    expectReport(r.body.report, CSV_EXPECTED);
    expect(await h.count('customer')).toBe(customers + 2);
    expect(await h.count('`lead`')).toBe(leads + 3); // rows 2, 3, 7 (row 6 merged into row 2's lead)
    const row7 = r.body.report.find((x: any) => x.row === 7);
    const lead = await h.req('GET', `/api/leads/${row7.leadId}`, { as: '系统管理员' });
    expect(lead.body.customer).toMatchObject({ phone: '13041891002', name: '吴妈妈', city: '苏州', grade: '初三', concerns: ['学科提分'] });
    expect(lead.body).toMatchObject({ channel: '地推-展会二维码', status: 'assigned' }); // routed like any new lead
    const row2 = r.body.report.find((x: any) => x.row === 2);
    expect((await h.req('GET', `/api/leads/${row2.leadId}`, { as: '系统管理员' })).body.customer.city).toBe('南京');
    // Re-importing the same file creates nothing new.
    const again = await upload(gbkCsv(), `channel=${encodeURIComponent('地推-展会二维码')}&filename=expo.csv`);
    expect(again.body).toMatchObject({ created: 0, merged: 4, rejected: 3 });
    expect(await h.count('`lead`')).toBe(leads + 3);
  });

  it('a UTF-8 CSV is detected as UTF-8', async () => {
    const buf = Buffer.from(
      CSV_ROWS.slice(0, 2)
        .map((r) => r.join(','))
        .join('\n')
        .replace('13814541001', '13814541009'),
      'utf8',
    );
    const r = await upload(buf, `channel=${encodeURIComponent('地推-展会二维码')}`);
    expect(r.body).toMatchObject({ encoding: 'utf-8', created: 1 });
  });

  it('an .xlsx with numeric phones: exact numbers kept, scientific notation flagged, not guessed', async () => {
    const r = await upload(await xlsx(), `channel=${encodeURIComponent('百度-品牌词')}&filename=baidu.xlsx`, {
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ format: 'xlsx', encoding: null, created: 1, merged: 2, rejected: 2 });
    expectReport(r.body.report, XLSX_EXPECTED);
    const lead = await h.req('GET', `/api/leads/${r.body.report[0].leadId}`, { as: '系统管理员' });
    expect(lead.body.customer).toMatchObject({ phone: '13814541003', province: '江苏', city: '南京', grade: '初一', concerns: ['学习方法'] });
  });

  it('progress is visible while a large file runs, and the report is kept on the job', async () => {
    const rows = [['手机号', '年级'], ...Array.from({ length: 400 }, (_, i) => [`1381454${String(2000 + i).padStart(4, '0')}`, '初二'])];
    const r = await upload(Buffer.from(rows.map((x) => x.join(',')).join('\n')), `channel=${encodeURIComponent('地推-展会二维码')}`, { wait: false });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ status: 'running', total: 400 });
    const seen: number[] = [];
    let job: any;
    for (let i = 0; i < 600; i++) {
      job = (await h.req('GET', `/api/imports/${r.body.id}`, { as: '黄蓉' })).body;
      seen.push(job.processed);
      if (job.status === 'done') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(job).toMatchObject({ status: 'done', processed: 400, created: 400, progress: 100 });
    expect(job.report).toHaveLength(400);
    expect(new Set(seen).size).toBeGreaterThan(1); // progress moved while it ran
  });

  it('bad uploads are refused with a reason and write nothing', async () => {
    const jobs = await h.count('import_job');
    const noPhone = await upload(Buffer.from('姓名,城市\n王,苏州'), `channel=x`);
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.error.message).toContain('手机号');
    expect((await upload(Buffer.from('手机号\n13814541001'), '')).body.error.message).toContain('渠道标签');
    expect((await upload(Buffer.alloc(0), 'channel=x')).status).toBe(400);
    expect((await upload(Buffer.from('手机号\n13814541001'), 'channel=x', { as: '张敏' })).status).toBe(403);
    const anon = await fetch(`${h.base}/api/imports?channel=x`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: '手机号' });
    expect(anon.status).toBe(401);
    expect(await h.count('import_job')).toBe(jobs);
  });

  it('a job cut off by a restart is reported as interrupted with what was done and how to finish, not "running" forever', async () => {
    const first = await upload(Buffer.from('手机号,称呼\n13814542001,甲\n13814542002,乙'), 'channel=地推-展会二维码');
    expect(first.body.status).toBe('done');
    // What a process that died mid-file leaves behind: a 'running' job nobody runs, started two hours ago.
    await h.ds.query("UPDATE import_job SET status = 'running', processed = 1, finishedAt = NULL, createdAt = ? WHERE id = ?", [
      h.clock.now() - 2 * 3600_000,
      first.body.id,
    ]);
    const got = await h.req('GET', `/api/imports/${first.body.id}`, { as: '黄蓉' });
    expect(got.body.status).toBe('failed');
    expect(got.body.error).toContain('已处理 1/2 行');
    expect(got.body.error).toContain('重新上传同一文件');
    expect((await h.ds.query('SELECT status FROM import_job WHERE id = ?', [first.body.id]))[0].status).toBe('failed');
    // Re-uploading the same file finishes it without duplicating anything.
    const again = await upload(Buffer.from('手机号,称呼\n13814542001,甲\n13814542002,乙'), 'channel=地推-展会二维码');
    expect(again.body.report.map((r: any) => r.outcome)).toEqual(['merged', 'merged']);
    expect(await h.count('customer', "phone IN ('13814542001', '13814542002')")).toBe(2);
    // A fresh running job (this process may be running it) is left alone.
    await h.ds.query("UPDATE import_job SET status = 'running', createdAt = ? WHERE id = ?", [h.clock.now() - 60_000, again.body.id]);
    expect((await h.req('GET', `/api/imports/${again.body.id}`, { as: '黄蓉' })).body.status).toBe('running');
  });
});
