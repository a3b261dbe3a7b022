import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseInput } from '../../server/src/http/validate';
import { AppError } from '../../server/src/http/errors';

/** zod's structural failures (no message of the schema's own) said in Chinese, with the field's label. */
const schema = z
  .object({
    name: z.string().max(5),
    pageSize: z.number().int().min(1).max(100),
    tags: z.array(z.string()).max(2),
    kind: z.enum(['wecom', 'dingtalk']),
    at: z.iso.datetime(),
    from: z.iso.date(),
    active: z.boolean(),
    text: z.string().min(1),
    amount: z.number().positive(),
  })
  .strict();
const good = { name: '王', pageSize: 1, tags: [], kind: 'wecom', at: '2026-01-20T07:00:00Z', from: '2026-01-20', active: true, text: 'x', amount: 1 };

const messageOf = (input: unknown) => {
  try {
    parseInput(schema, input);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).message;
  }
  throw new Error('parsed');
};

describe('parseInput messages', () => {
  it.each([
    [{ name: undefined }, '称呼：必填'],
    [{ name: 5 }, '称呼：类型不正确，应为文本'],
    [{ pageSize: 'x' }, '每页条数：类型不正确，应为数字'],
    [{ pageSize: 1.5 }, '每页条数：类型不正确，应为整数'],
    [{ active: 'yes' }, '启用：类型不正确，应为布尔值（true / false）'],
    [{ name: '一二三四五六' }, '称呼：最多 5 个字'],
    [{ text: '' }, '话术内容：不能为空'],
    [{ pageSize: 0 }, '每页条数：不能小于 1'],
    [{ pageSize: 101 }, '每页条数：不能超过 100'],
    [{ amount: 0 }, '金额：必须大于 0'],
    [{ tags: ['a', 'b', 'c'] }, '标签：最多 2 项'],
    [{ kind: 'qq' }, '渠道类型：只能是：wecom、dingtalk'],
    [{ at: '2026-01-20 15:00' }, '时间：时间格式不正确，应为 ISO 8601（如 2026-01-20T15:00:00+08:00）'],
    [{ from: '2026/01/20' }, '开始日期：日期格式不正确，应为 YYYY-MM-DD（如 2026-01-20）'],
    [{ hacker: 1 }, '不支持的字段：hacker'],
  ])('%j → %s', (change, message) => {
    expect(messageOf({ ...good, ...change })).toBe(message);
  });

  it('a body that is not an object, and the input never echoed back', () => {
    expect(messageOf('text')).toBe('请求内容应为 JSON 对象');
    try {
      parseInput(schema, { ...good, name: 13800138000 });
    } catch (e) {
      expect(JSON.stringify((e as AppError).details)).not.toContain('13800138000');
    }
  });
});
