import { useEffect, useMemo, useState } from 'react';
import { Input, Text, Textarea, View } from '@tarojs/components';
import { scriptCreateSchema } from '@lifeline/shared/src/schemas/scripts';
import { courseForConcerns, fillScript } from '@lifeline/shared/src/alarms/scripts';
import { CONCERNS, JOURNEY_NODES } from '@lifeline/shared/src/vocabulary';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';

interface Script {
  id: number;
  category: string;
  title: string;
  text: string;
  tags: string[];
  journeyNode: string | null;
  concern: string | null;
  sendCount: number;
  progressCount: number;
}
interface SampleLead {
  id: number;
  ownerName: string | null;
  customer: { name: string | null; grade: string | null; city: string | null; concerns: string[] } | null;
}

const VARIABLES = ['{称呼}', '{课程}', '{顾问}', '{年级}', '{城市}'];
const EMPTY = { category: '', title: '', text: '', tags: [] as string[], journeyNode: null as string | null, concern: null as string | null };

/**
 * 话术库: the company's scripts by category; edit or add one with its variables, checked as typed with the server's
 * schema, and see it filled in for a real lead (the customer's name, course for their concern, the owner, grade, city).
 */
export function ScriptsSection({ onSaved }: { onSaved: (msg: string) => void }) {
  const [scripts, setScripts] = useState<Script[]>([]);
  const [editing, setEditing] = useState<(typeof EMPTY & { id?: number }) | null>(null);
  const [leads, setLeads] = useState<SampleLead[]>([]);
  const [leadId, setLeadId] = useState<number | null>(null);
  const [courses, setCourses] = useState<{ name: string; concern: string }[]>([]);
  const [error, setError] = useState('');

  const load = () =>
    api<{ items: Script[] }>('GET', '/api/scripts').then(
      (r) => setScripts(r.items),
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
    void api<{ items: SampleLead[] }>('GET', '/api/leads?pageSize=10').then((r) => {
      setLeads(r.items.filter((l) => l.customer));
      setLeadId(r.items[0]?.id ?? null);
    });
    void api<{ courses: { name: string; concern: string }[] }>('GET', '/api/meta').then((m) => setCourses(m.courses));
  }, []);

  const check = editing ? scriptCreateSchema.safeParse(editing) : null;
  const issue = (key: string) => (check && !check.success ? (check.error.issues.find((i) => i.path[0] === key)?.message ?? null) : null);
  const lead = leads.find((l) => l.id === leadId) ?? null;
  const preview = useMemo(() => {
    if (!editing || !lead?.customer) return '';
    const c = lead.customer;
    return fillScript(editing.text, { 称呼: c.name, 课程: courseForConcerns(c.concerns, courses), 顾问: lead.ownerName, 年级: c.grade, 城市: c.city });
  }, [editing?.text, lead, courses]);

  const save = async () => {
    if (!editing || !check?.success) return setError('请先改正标红的项');
    const { id, ...body } = editing;
    try {
      if (id) await api('PATCH', `/api/scripts/${id}`, body);
      else await api('POST', '/api/scripts', body);
      onSaved(`话术「${editing.title}」已保存`);
      setEditing(null);
      setError('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (editing) {
    return (
      <View id="script-editor">
        <View className="label">分类</View>
        <Input
          className={`input${issue('category') ? ' input--bad' : ''}`}
          value={editing.category}
          onInput={(e) => setEditing({ ...editing, category: e.detail.value })}
        />
        {issue('category') ? <View className="error field__error">{issue('category')}</View> : null}
        <View className="label">标题</View>
        <Input
          id="script-title"
          className={`input${issue('title') ? ' input--bad' : ''}`}
          value={editing.title}
          onInput={(e) => setEditing({ ...editing, title: e.detail.value })}
        />
        {issue('title') ? <View className="error field__error">{issue('title')}</View> : null}
        <View className="label">正文（点变量插入）</View>
        <Chips small items={VARIABLES} selected={[]} onTap={(v) => setEditing({ ...editing, text: `${editing.text}${v}` })} />
        <Textarea
          id="script-text"
          className={`textarea${issue('text') ? ' textarea--over' : ''}`}
          value={editing.text}
          maxlength={-1}
          onInput={(e) => setEditing({ ...editing, text: e.detail.value })}
        />
        {issue('text') ? (
          <View className="error field__error" id="script-text-error">
            {issue('text')}
          </View>
        ) : null}
        <View className="label">适用关注点</View>
        <Chips
          small
          items={[...CONCERNS]}
          selected={editing.concern ? [editing.concern] : []}
          onTap={(c) => setEditing({ ...editing, concern: c === editing.concern ? null : c })}
        />
        <View className="label">适用阶段</View>
        <Chips
          small
          items={[...JOURNEY_NODES]}
          selected={editing.journeyNode ? [editing.journeyNode] : []}
          onTap={(n) => setEditing({ ...editing, journeyNode: n === editing.journeyNode ? null : n })}
        />
        <View className="label">预览（真实线索）</View>
        <Chips
          small
          items={leads.map((l) => l.customer?.name ?? `#${l.id}`)}
          selected={lead?.customer?.name ? [lead.customer.name] : []}
          onTap={(name) => setLeadId(leads.find((l) => (l.customer?.name ?? `#${l.id}`) === name)?.id ?? null)}
        />
        <View className="preview" id="script-preview">
          {preview || '（没有可用于预览的线索）'}
        </View>
        {error ? <View className="error">{error}</View> : null}
        <View className="row-buttons">
          <Text className="todo-btn" onClick={() => setEditing(null)}>
            取消
          </Text>
          <Text className="todo-btn todo-btn--primary" id="script-save" onClick={() => void save()}>
            保存话术
          </Text>
        </View>
      </View>
    );
  }
  return <ScriptList scripts={scripts} error={error} onEdit={(s) => setEditing(s)} />;
}

/** The library as a list: tap a script to edit it, or add one. */
function ScriptList({ scripts, error, onEdit }: { scripts: Script[]; error: string; onEdit: (s: typeof EMPTY & { id?: number }) => void }) {
  return (
    <View id="scripts">
      <Text className="todo-btn todo-btn--primary settings-save" id="script-new" onClick={() => onEdit({ ...EMPTY })}>
        新增话术
      </Text>
      {error ? <View className="error">{error}</View> : null}
      {scripts.map((s) => (
        <View className="person" key={s.id} id={`script-${s.id}`}>
          <View
            className="person__main"
            onClick={() =>
              onEdit({ id: s.id, category: s.category, title: s.title, text: s.text, tags: s.tags, journeyNode: s.journeyNode, concern: s.concern })
            }
          >
            <Text className="person__name">
              {s.category} · {s.title}
            </Text>
            <View className="muted">
              {s.text.slice(0, 40)}
              {s.text.length > 40 ? '…' : ''}
            </View>
            <View className="muted">
              发送 {s.sendCount} 次，其后有进展 {s.progressCount} 次
            </View>
          </View>
        </View>
      ))}
    </View>
  );
}
