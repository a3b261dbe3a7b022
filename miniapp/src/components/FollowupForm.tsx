import { useEffect, useMemo, useState } from 'react';
import { Input, Text, Textarea, View } from '@tarojs/components';
import { Button } from './nutui';
import { nextStepChips, parseChineseDate, quietHoursNote, type QuietHours } from '@lifeline/shared/src/dates';
import { DEFAULT_COURSES } from '@lifeline/shared/src/metrics/definitions';
import { Chips } from './Chips';
import { VoiceButton } from './VoiceButton';
import { api } from '../lib/api';
import { newRequestId, submit } from '../lib/outbox';
import type { Draft } from '../lib/draft';
import type { Platform, SidebarConfig } from '../lib/platform';

export interface Meta {
  actionTags: string[];
  quickPhrases: string[];
  grades: string[];
  concerns: string[];
  journeyNodes: string[];
  conclusionMax: number;
  /** The company's courses (what a 已签约 follow-up names); the shipped defaults when the server sends none. */
  courses?: (string | { name: string })[];
  /** May this user mark queued content as sent (server role table, capability `content.send`). */
  canSendContent?: boolean;
  /** The company's alarm quiet hours: a next step inside them is pointed out before saving. */
  quietHours?: QuietHours;
}

export interface FormLead {
  id: number;
  customerName: string;
  grade: string | null;
  concerns: string[];
  tags: string[];
  /** Stage (旅程节点); null when the lead came from a screen that does not know it. */
  journeyNode?: string | null;
}

export interface Prefill {
  action?: string;
  conclusion?: string;
  nextText?: string;
  scriptId?: number;
}

interface Props {
  lead: FormLead | null;
  meta: Meta;
  platform: Platform;
  config: SidebarConfig;
  prefill?: Prefill | null;
  onSaved: (summary: string, leadId: number) => void;
  onQueued: (summary: string) => void;
}

const DEFAULT_NEXT_ACTION = '再次跟进';
const SIGNED = '已签约';

function courseNames(meta: Meta): string[] {
  const list = meta.courses?.length ? meta.courses : DEFAULT_COURSES;
  return list.map((c) => (typeof c === 'string' ? c : c.name));
}

const chars = (s: string) => [...s].length;

/** The three fields (action, key conclusion, next step), "more" fields, voice draft and save. */
export function FollowupForm({ lead, meta, platform, config, prefill, onSaved, onQueued }: Props) {
  const draft = useFollowupDraft(prefill, meta);
  const { action, setAction, conclusion, setConclusion, phraseOnly, setPhraseOnly, nextText, setNextText, nextAction, setNextAction } = draft;
  const { voice, scriptId, course, setCourse } = draft;
  const [more, setMore] = useState(false);
  const extra = useMoreFields(lead);
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);
  const [requestId, setRequestId] = useState(newRequestId);

  const reset = () => {
    draft.clear();
    setMore(false);
    setError('');
    setRequestId(newRequestId());
  };

  const next = useMemo(() => (nextText.trim() ? parseChineseDate(nextText, Date.now()) : null), [nextText]);
  // 「12/1」 on 12/2 could be last week or next year: the rep answers before it is saved.
  const [confirmedQuestion, setConfirmedQuestion] = useState('');
  const unanswered = next?.question && next.question !== confirmedQuestion ? next.question : null;
  const chips = nextStepChips(Date.now());
  const count = chars(conclusion);

  const addPhrase = (p: string) => {
    if (conclusion.includes(p)) return;
    setConclusion(conclusion.trim() ? `${conclusion.replace(/[，,。\s]+$/, '')}，${p}` : p);
  };

  const applyDraft = (transcript: string, d: Draft) => {
    draft.applyDraft(transcript, d);
    setError('');
  };

  const save = async () => {
    const problem = problemOf({ lead, action, course, count, max: meta.conclusionMax, nextText, next, nextAction, unanswered });
    setError(problem ?? '');
    if (problem || !lead || saving) return;
    setSaving(true);
    const { body, summary } = followupRequest({ lead, action, conclusion, phraseOnly, next, nextAction, voice, scriptId, course });
    try {
      // The follow-up first: it is the part that must never be lost (queued on the device when offline).
      const r = await submit({ key: requestId, body, label: summary });
      if (r.ok) {
        const moreError = more
          ? await saveMoreFields(lead, extra).then(
              () => '',
              (e: Error) => `年级/关注点/标签/阶段未保存：${e.message}`,
            )
          : '';
        reset();
        onSaved(summary, lead.id);
        if (moreError) setError(moreError);
      } else if (r.offline) {
        reset();
        onQueued(summary);
      } else {
        setError(r.message);
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <View className="form" id="followup-form">
      <View className="form__top">
        <Text className="section-title">跟进记录{lead ? ` · ${lead.customerName}` : ''}</Text>
        <VoiceButton platform={platform} config={config} onDraft={applyDraft} onError={setError} />
      </View>
      {voice ? (
        <View className="draft-note" id="draft-note">
          语音草稿（{voice.by === 'llm' ? '智能整理' : '规则整理'}），请核对后保存 · 原话：{voice.transcript}
        </View>
      ) : null}

      <ActionField meta={meta} action={action} setAction={setAction} course={course} setCourse={setCourse} />
      <ConclusionField
        meta={meta}
        conclusion={conclusion}
        addPhrase={addPhrase}
        onInput={(v) => {
          setConclusion(v);
          setPhraseOnly(false);
        }}
      />

      <View className="label">3. 下一步计划</View>
      <Chips id="next-chips" small items={chips} selected={chips.includes(nextText) ? [nextText] : []} onTap={(c) => setNextText(c === nextText ? '' : c)} />
      <Input id="next-text" className="input" value={nextText} placeholder="或输入：下个月5号、周末、两周后…" onInput={(e) => setNextText(e.detail.value)} />
      {nextText.trim() ? <NextWhen next={next} quiet={meta.quietHours} /> : null}
      {unanswered ? (
        <View className="next-ask" id="next-ask">
          <Text>{unanswered}</Text>
          <View className="next-ask__buttons">
            <Text className="chip chip--small" id="next-ask-yes" onClick={() => setConfirmedQuestion(unanswered)}>
              是，明年这天
            </Text>
            <Text className="chip chip--small" id="next-ask-no" onClick={() => setNextText('')}>
              不是，重新选
            </Text>
          </View>
        </View>
      ) : null}
      {next ? (
        <Input
          id="next-action"
          className="input"
          value={nextAction}
          placeholder={next.action || DEFAULT_NEXT_ACTION}
          onInput={(e) => setNextAction(e.detail.value)}
        />
      ) : null}

      <View className="more-toggle" id="more-toggle" onClick={() => setMore(!more)}>
        {more ? '收起 ▲' : '更多（年级、关注点、标签、阶段）▼'}
      </View>
      {more ? <MoreFields meta={meta} f={extra} /> : null}

      {error ? (
        <View className="error" id="form-error">
          {error}
        </View>
      ) : null}
      <Button id="save" type="primary" fill="solid" block loading={saving} disabled={saving} onClick={save}>
        保存跟进
      </Button>
    </View>
  );
}

type NextStep = ReturnType<typeof parseChineseDate>;

function problemOf(f: {
  lead: FormLead | null;
  action: string | null;
  course: string | null;
  count: number;
  max: number;
  nextText: string;
  next: NextStep | null;
  nextAction: string;
  unanswered: string | null;
}): string | null {
  if (!f.lead) return '请先输入客户手机号并选择客户';
  if (!f.action) return '请选择跟进动作';
  if (f.action === SIGNED && !f.course) return '已签约请选择所签课程';
  if (f.count > f.max) return `关键结论最多${f.max}个字，当前${f.count}个字`;
  if (f.nextText.trim() && !f.next) return `没看懂下一步时间「${f.nextText.trim()}」，请换个说法，如「下周三下午3点」`;
  if (f.next?.past) return `下一步时间 ${f.next.label} 已经过去了，请重新选择`;
  if (f.unanswered) return `请先确认下一步时间：${f.unanswered}`;
  if (chars(f.nextAction) > 50) return '下一步动作最多50个字';
  return null;
}

/** The "more" fields (grade, concerns, tags, stage), reset to the lead's own whenever another lead is chosen. */
function useMoreFields(lead: FormLead | null) {
  const [grade, setGrade] = useState<string | null>(null);
  const [concerns, setConcerns] = useState<string[]>([]);
  const [tags, setTags] = useState('');
  const [stage, setStage] = useState<string | null>(null);
  useEffect(() => {
    setGrade(lead?.grade ?? null);
    setConcerns(lead?.concerns ?? []);
    setTags((lead?.tags ?? []).join(' '));
    setStage(lead?.journeyNode ?? null);
  }, [lead?.id]);
  return { grade, setGrade, concerns, setConcerns, tags, setTags, stage, setStage };
}

type MoreState = ReturnType<typeof useMoreFields>;

async function saveMoreFields(l: FormLead, { grade, concerns, tags, stage }: MoreState): Promise<void> {
  const tagList = tags.split(/[\s,，、]+/).filter(Boolean);
  const changes: Record<string, unknown> = {};
  if (grade && grade !== l.grade) changes.grade = grade;
  if (concerns.join() !== l.concerns.join()) changes.concerns = concerns;
  if (tagList.join() !== l.tags.join()) changes.tags = tagList;
  // Only a stage the rep picked: the follow-up itself may already have moved the lead forward.
  if (stage && stage !== l.journeyNode) changes.journeyNode = stage;
  if (Object.keys(changes).length) await api('PATCH', `/api/leads/${l.id}`, changes);
}

function MoreFields({ meta, f }: { meta: Meta; f: MoreState }) {
  const { grade, setGrade, concerns, setConcerns, tags, setTags, stage, setStage } = f;
  return (
    <View className="more" id="more">
      <View className="label">年级</View>
      <Chips small items={meta.grades} selected={grade ? [grade] : []} onTap={(g) => setGrade(g === grade ? null : g)} />
      <View className="label">关注点</View>
      <Chips
        small
        items={meta.concerns}
        selected={concerns}
        onTap={(c) => setConcerns(concerns.includes(c) ? concerns.filter((x) => x !== c) : [...concerns, c])}
      />
      <View className="label">标签（空格分隔）</View>
      <Input className="input" value={tags} onInput={(e) => setTags(e.detail.value)} />
      <View className="label">阶段（签约请用「已签约」动作）</View>
      <Chips id="stages" small items={meta.journeyNodes.filter((n) => n !== '签约转化')} selected={stage ? [stage] : []} onTap={(n) => setStage(n)} />
    </View>
  );
}

/** When the typed next step is understood as: the reminder's time, or a request to say it differently. */
function NextWhen({ next, quiet }: { next: NextStep | null; quiet?: QuietHours }) {
  const quietNote = next && !next.past ? quietHoursNote(next.at, quiet) : null;
  return next ? (
    <View className={`next-when${next.past ? ' next-when--bad' : ''}`} id="next-when">
      提醒：{next.label}
      {next.hasTime ? '' : '（未说具体时间，默认）'}
      {next.deadline ? ' 之前' : ''}
      {quietNote ? (
        <View className="next-when__quiet" id="next-quiet">
          {quietNote}
        </View>
      ) : null}
    </View>
  ) : (
    <View className="next-when next-when--bad" id="next-when">
      没看懂这个时间，请换个说法
    </View>
  );
}

/** The follow-up as sent (POST /api/followups, through the outbox) and its one-line summary. */
function followupRequest(f: {
  lead: FormLead;
  action: string | null;
  conclusion: string;
  phraseOnly: boolean;
  next: NextStep | null;
  nextAction: string;
  voice: { transcript: string; by: string } | null;
  scriptId: number | undefined;
  course: string | null;
}): { body: Record<string, unknown>; summary: string } {
  const { lead, action, conclusion, phraseOnly, next, nextAction, voice, scriptId, course } = f;
  const stepAction = nextAction.trim() || next?.action || DEFAULT_NEXT_ACTION;
  const body: Record<string, unknown> = {
    leadId: lead.id,
    action,
    conclusion: conclusion.trim(),
    source: voice ? 'voice' : phraseOnly && conclusion ? 'phrase' : 'typed',
    ...(next ? { nextStep: { at: next.iso, action: stepAction } } : {}),
    ...(voice ? { transcript: voice.transcript.slice(0, 2000) } : {}),
    ...(scriptId ? { scriptId } : {}),
    ...(action === SIGNED && course ? { signedCourse: course } : {}),
  };
  const summary = `${lead.customerName} · ${action}${action === SIGNED && course ? `「${course}」` : ''}${next ? ` · 下一步 ${next.label} ${stepAction}` : ''}`;
  return { body, summary };
}

/** 1. The action, and for 已签约 the course signed. */
function ActionField({
  meta,
  action,
  setAction,
  course,
  setCourse,
}: {
  meta: Meta;
  action: string | null;
  setAction: (a: string | null) => void;
  course: string | null;
  setCourse: (c: string | null) => void;
}) {
  return (
    <>
      <View className="label">
        1. 跟进动作<Text className="req">*</Text>
      </View>
      <Chips id="actions" items={meta.actionTags} selected={action ? [action] : []} onTap={(a) => setAction(a === action ? null : a)} />
      {action === SIGNED ? (
        <View className="courses" id="course-box">
          <View className="label">
            签约课程<Text className="req">*</Text>
          </View>
          <Chips id="courses" small items={courseNames(meta)} selected={course ? [course] : []} onTap={(c) => setCourse(c === course ? null : c)} />
        </View>
      ) : null}
    </>
  );
}

/** 2. The key conclusion with its counter and quick phrases. */
function ConclusionField({
  meta,
  conclusion,
  addPhrase,
  onInput,
}: {
  meta: Meta;
  conclusion: string;
  addPhrase: (p: string) => void;
  onInput: (value: string) => void;
}) {
  const count = chars(conclusion);
  const over = count > meta.conclusionMax;
  return (
    <>
      <View className="label">
        2. 关键结论{' '}
        <Text className={`counter${over ? ' counter--over' : ''}`} id="counter">
          {count}/{meta.conclusionMax}
        </Text>
      </View>
      <Textarea
        id="conclusion"
        className={`textarea${over ? ' textarea--over' : ''}`}
        value={conclusion}
        maxlength={-1}
        placeholder="客户的态度、顾虑、意向"
        onInput={(e) => onInput(e.detail.value)}
      />
      <Chips id="phrases" small items={meta.quickPhrases} selected={meta.quickPhrases.filter((p) => conclusion.includes(p))} onTap={addPhrase} />
    </>
  );
}

/** The follow-up being written: filled by hand, by a prefill (alarm tap, script) or by a voice draft. */
function useFollowupDraft(prefill: Prefill | null | undefined, meta: Meta) {
  const [action, setAction] = useState<string | null>(null);
  const [conclusion, setConclusion] = useState('');
  const [phraseOnly, setPhraseOnly] = useState(true);
  const [nextText, setNextText] = useState('');
  const [nextAction, setNextAction] = useState('');
  const [voice, setVoice] = useState<{ transcript: string; by: string } | null>(null);
  const [scriptId, setScriptId] = useState<number | undefined>();
  const [course, setCourse] = useState<string | null>(null);

  useEffect(() => {
    if (!prefill) return;
    if (prefill.action) setAction(prefill.action);
    if (prefill.conclusion !== undefined) setConclusion(prefill.conclusion);
    if (prefill.nextText) setNextText(prefill.nextText);
    setScriptId(prefill.scriptId);
  }, [prefill]);

  const applyDraft = (transcript: string, d: Draft) => {
    setVoice({ transcript, by: d.by });
    if (d.action && meta.actionTags.includes(d.action)) setAction(d.action);
    setConclusion(d.conclusion);
    setPhraseOnly(false);
    if (d.nextStep) {
      setNextText(d.nextStep.when);
      setNextAction(d.nextStep.action);
    }
  };
  const clear = () => {
    setAction(null);
    setConclusion('');
    setPhraseOnly(true);
    setNextText('');
    setNextAction('');
    setVoice(null);
    setScriptId(undefined);
    setCourse(null);
  };
  return {
    action,
    setAction,
    conclusion,
    setConclusion,
    phraseOnly,
    setPhraseOnly,
    nextText,
    setNextText,
    nextAction,
    setNextAction,
    voice,
    scriptId,
    course,
    setCourse,
    applyDraft,
    clear,
  };
}
