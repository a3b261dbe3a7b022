import { useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { PROFILE_FIELDS, PROFILE_FIELD_LABELS, vocabularySchema } from '@lifeline/shared/src/schemas/vocabulary';
import { CONCERNS } from '@lifeline/shared/src/vocabulary';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';
import { sendWithConfirmation } from '../../lib/confirm';

interface Course {
  name: string;
  concern: string;
  price?: number;
}
interface Vocab {
  actionTags: string[];
  quickPhrases: string[];
  courses: Course[];
  requiredProfileFields: string[];
  supervisorCanExport: boolean;
  /** Absent from servers before 双人协同. */
  coOwnerCanRecord?: boolean;
  usage: { actionTags: Record<string, number>; quickPhrases: Record<string, number>; courses: Record<string, number>; customers: number };
}

/** What a pending change does to records, said before saving (removed items in use stay on old records). */
function impactOf(saved: Vocab, v: Vocab): string[] {
  const out: string[] = [];
  const removed = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  for (const t of removed(saved.actionTags, v.actionTags))
    out.push(`删除跟进动作「${t}」：${saved.usage.actionTags[t] ?? 0} 条跟进用过，历史记录保留，以后不能再选`);
  for (const p of removed(saved.quickPhrases, v.quickPhrases)) out.push(`删除快捷短语「${p}」：${saved.usage.quickPhrases[p] ?? 0} 条结论含有它，不受影响`);
  const names = v.courses.map((c) => c.name);
  for (const c of saved.courses.filter((x) => !names.includes(x.name)))
    out.push(`删除课程「${c.name}」：${saved.usage.courses[c.name] ?? 0} 条签约记录保留，需求匹配按新课程表重算`);
  if (saved.requiredProfileFields.join() !== v.requiredProfileFields.join()) out.push(`必填资料改变：${saved.usage.customers} 位客户的资料完整度将重算`);
  if (saved.supervisorCanExport !== v.supervisorCanExport)
    out.push(v.supervisorCanExport ? '主管将可以导出看板数据（每次导出都记审计）' : '主管将不能再导出看板数据');
  return out;
}

/** 词表: action tags, quick phrases, courses with concern and list price, required profile fields, export permission. */
export function VocabularySection({ canEdit, onSaved }: { canEdit: boolean; onSaved: (msg: string) => void }) {
  const [saved, setSaved] = useState<Vocab | null>(null);
  const [v, setV] = useState<Vocab | null>(null);
  const [newTag, setNewTag] = useState('');
  const [newPhrase, setNewPhrase] = useState('');
  const [error, setError] = useState('');
  const load = () =>
    api<Vocab>('GET', '/api/settings/vocabulary').then(
      (r) => {
        setSaved(r);
        setV(r);
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    void load();
  }, []);
  if (!v || !saved) return <View className="muted">{error || '加载中…'}</View>;

  const { actionTags, quickPhrases, courses, requiredProfileFields, supervisorCanExport, coOwnerCanRecord } = v;
  const body = {
    actionTags,
    quickPhrases,
    courses,
    requiredProfileFields,
    supervisorCanExport,
    ...(coOwnerCanRecord === undefined ? {} : { coOwnerCanRecord }),
  };
  const check = vocabularySchema.safeParse(body);
  const problem = check.success ? null : check.error.issues[0].message;
  const impact = impactOf(saved, v);
  const save = async () => {
    if (problem) return setError(problem);
    try {
      const r = await sendWithConfirmation((confirm) =>
        api<{ changed: string[]; reprojected: number }>('PUT', '/api/settings/vocabulary', { ...body, confirm }),
      );
      if (!r) return;
      onSaved(`词表已保存（${r.changed.length} 项）${r.reprojected ? `，${r.reprojected} 条线索的看板数据已重算` : ''}`);
      setError('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const removable = (items: string[], usage: Record<string, number>, onRemove: (x: string) => void, id: string) => (
    <View className="chips" id={id}>
      {items.map((x) => (
        <Text key={x} className="chip chip--small vocab-item" onClick={canEdit ? () => onRemove(x) : undefined}>
          {x}
          <Text className="muted"> · {usage[x] ?? 0}</Text>
          {canEdit ? <Text className="vocab-x"> ✕</Text> : null}
        </Text>
      ))}
    </View>
  );

  return (
    <View id="vocabulary">
      <View className="label">跟进动作（· 后为使用次数，点 ✕ 删除）</View>
      {removable(v.actionTags, saved.usage.actionTags, (t) => setV({ ...v, actionTags: v.actionTags.filter((x) => x !== t) }), 'vocab-actions')}
      {canEdit ? (
        <AddBox
          id="vocab-action-new"
          value={newTag}
          setValue={setNewTag}
          onAdd={(t) => setV({ ...v, actionTags: [...v.actionTags, t] })}
          placeholder="新增跟进动作"
        />
      ) : null}
      <View className="label">快捷短语</View>
      {removable(v.quickPhrases, saved.usage.quickPhrases, (p) => setV({ ...v, quickPhrases: v.quickPhrases.filter((x) => x !== p) }), 'vocab-phrases')}
      {canEdit ? (
        <AddBox
          id="vocab-phrase-new"
          value={newPhrase}
          setValue={setNewPhrase}
          onAdd={(p) => setV({ ...v, quickPhrases: [...v.quickPhrases, p] })}
          placeholder="新增快捷短语"
        />
      ) : null}
      <View className="label">课程（对应关注点、标价：渠道ROI按标价计签约额）</View>
      <CourseList courses={v.courses} usage={saved.usage.courses} canEdit={canEdit} onChange={(courses) => setV({ ...v, courses })} />
      <View className="label">必填资料（资料完整度按这些项计算）</View>
      <Chips
        small
        items={PROFILE_FIELDS.map((f) => PROFILE_FIELD_LABELS[f])}
        selected={v.requiredProfileFields.map((f) => PROFILE_FIELD_LABELS[f as (typeof PROFILE_FIELDS)[number]])}
        onTap={(label) => {
          if (!canEdit) return;
          const f = PROFILE_FIELDS.find((x) => PROFILE_FIELD_LABELS[x] === label)!;
          setV({
            ...v,
            requiredProfileFields: v.requiredProfileFields.includes(f) ? v.requiredProfileFields.filter((x) => x !== f) : [...v.requiredProfileFields, f],
          });
        }}
      />
      <AllowChips label="主管导出看板数据" allowed={v.supervisorCanExport} onChange={(x) => canEdit && setV({ ...v, supervisorCanExport: x })} />
      <AllowChips label="协同人（双人协同）记录跟进" allowed={v.coOwnerCanRecord !== false} onChange={(x) => canEdit && setV({ ...v, coOwnerCanRecord: x })} />
      {impact.length ? (
        <View className="preview" id="vocab-impact">
          <View className="label">保存前请确认影响：</View>
          {impact.map((line) => (
            <View key={line}>· {line}</View>
          ))}
        </View>
      ) : null}
      {problem || error ? (
        <View className="error" id="vocab-problem">
          {problem ?? error}
        </View>
      ) : null}
      {canEdit ? (
        <Text className="todo-btn todo-btn--primary settings-save" id="vocab-save" onClick={() => void save()}>
          保存词表
        </Text>
      ) : null}
    </View>
  );
}

function AddBox({
  id,
  value,
  setValue,
  onAdd,
  placeholder,
}: {
  id: string;
  value: string;
  setValue: (v: string) => void;
  onAdd: (v: string) => void;
  placeholder: string;
}) {
  return (
    <View className="field__input">
      <Input id={id} className="input" value={value} placeholder={placeholder} onInput={(e) => setValue(e.detail.value)} />
      <Text
        className="todo-btn"
        onClick={() => {
          if (!value.trim()) return;
          onAdd(value.trim());
          setValue('');
        }}
      >
        添加
      </Text>
    </View>
  );
}

/** Each course with its concern (demand match) and list price (channel ROI's revenue). */
function CourseList({
  courses,
  usage,
  canEdit,
  onChange,
}: {
  courses: Course[];
  usage: Record<string, number>;
  canEdit: boolean;
  onChange: (c: Course[]) => void;
}) {
  const set = (i: number, patch: Partial<Course>) => onChange(courses.map((x, j) => (j === i ? { ...x, ...patch } : x)));
  return (
    <>
      {courses.map((c, i) => (
        <View className="course" key={i}>
          <Text className="person__name">
            {c.name}
            <Text className="muted"> · 签约 {usage[c.name] ?? 0}</Text>
          </Text>
          <Chips small items={[...CONCERNS]} selected={[c.concern]} onTap={(k) => canEdit && set(i, { concern: k })} />
          <Input
            className="input"
            type="digit"
            placeholder="标价（元）"
            disabled={!canEdit}
            value={c.price === undefined ? '' : String(c.price)}
            onInput={(e) => set(i, { price: e.detail.value === '' ? undefined : Number(e.detail.value) })}
          />
        </View>
      ))}
    </>
  );
}

/** A yes/no company permission as two chips. */
function AllowChips({ label, allowed, onChange }: { label: string; allowed: boolean; onChange: (allowed: boolean) => void }) {
  return (
    <>
      <View className="label">{label}</View>
      <Chips small items={['允许', '不允许']} selected={[allowed ? '允许' : '不允许']} onTap={(x) => onChange(x === '允许')} />
    </>
  );
}
