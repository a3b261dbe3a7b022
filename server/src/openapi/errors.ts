import type { ErrorStatus } from './route-doc';

/** What each error status means in this app, with a typical code and message (server/src/http/*). */
export const ERROR_RESPONSES: Record<ErrorStatus, { description: string; code: string; example: string }> = {
  400: {
    description: '输入有误：校验失败、JSON 格式错误、参数不合法；message 指出第一个问题的字段和原因',
    code: 'invalid_input',
    example: '关键结论：关键结论最多100个字',
  },
  401: { description: '未登录、令牌无效或过期；渠道密钥或回调签名不对', code: 'unauthorized', example: '请先登录' },
  403: { description: '角色或范围不允许（不是自己的线索、不在下属组织、角色不够）', code: 'forbidden', example: '没有权限执行此操作' },
  404: { description: '不存在，或不在本公司（不透露其他公司的数据是否存在）', code: 'not_found', example: '线索不存在或无权查看（ID 99999）' },
  409: {
    description: '与当前状态冲突：重复删除/恢复、请求编号已用于不同内容、平台或语音未配置等',
    code: 'conflict',
    example: '该请求编号已用于另一条内容不同的跟进记录，请使用新的请求编号',
  },
  413: { description: '请求体超过上限（JSON 为 BODY_LIMIT，默认 64kb；文件与录音各有上限）', code: 'too_large', example: '请求内容过大，请精简后重试' },
  415: {
    description: '请求体类型不对：写操作的请求体必须是 JSON（上传接口除外），编码须为 UTF-8',
    code: 'unsupported_media_type',
    example: '请求体必须是 JSON（Content-Type: application/json）',
  },
  429: { description: '提交太频繁（公开表单按 IP 限速）', code: 'too_many_requests', example: '提交太频繁，请一分钟后再试' },
  502: { description: '上游平台（企业微信、钉钉、语音转写）调用失败', code: 'asr_failed', example: '语音转写暂时不可用，请重试或直接输入' },
  503: {
    description:
      '所需的服务器配置缺失（如抖音推送签名密钥）；数据库暂时不可用（db_unavailable，带 Retry-After，稍后重发）；数据库存储故障（db_storage_failed，无 Retry-After，请联系管理员）',
    code: 'not_configured',
    example: '抖音线索推送未配置签名密钥（DOUYIN_PUSH_SECRET）',
  },
};
