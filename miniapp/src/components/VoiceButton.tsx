import { useEffect, useRef, useState } from 'react';
import { View } from '@tarojs/components';
import { api, apiUrl, authHeader, unwrap, ApiError } from '../lib/api';
import { PageRecorder } from '../lib/recorder';
import { startWecomRecord, stopWecomRecord } from '../lib/wecom';
import type { Platform, SidebarConfig } from '../lib/platform';
import type { Draft } from '../lib/draft';

interface Props {
  platform: Platform;
  config: SidebarConfig;
  onDraft: (transcript: string, draft: Draft) => void;
  onError: (message: string) => void;
}

/** The page's recording, uploaded for the server to transcribe and draft. */
async function transcribeOnServer(blob: Blob): Promise<{ transcript: string; draft: Draft }> {
  let res: Response;
  try {
    res = await fetch(apiUrl('/api/sidebar/voice'), {
      method: 'POST',
      body: blob,
      headers: { 'content-type': blob.type || 'audio/webm', ...authHeader() },
    });
  } catch {
    throw new ApiError('网络异常，录音未能上传，请重试', 0, 'network', true);
  }
  return unwrap(res.status, await res.json().catch(() => null));
}

/**
 * In H5, pointer events on the real element cover mouse (desktop WeCom, browsers), touch and pen alike;
 * Taro's View does not pass mouse handlers through. Handlers are read from a ref so they are never stale.
 */
function usePointerHold(id: string, down: () => Promise<void>, up: () => Promise<void>) {
  const handlers = useRef({ down, up });
  handlers.current = { down, up };
  useEffect(() => {
    if (process.env.TARO_ENV !== 'h5') return;
    const el = document.getElementById(id);
    if (!el) return;
    const onDown = (e: Event) => {
      e.preventDefault();
      void handlers.current.down();
    };
    const onUp = () => void handlers.current.up();
    el.addEventListener('pointerdown', onDown);
    el.addEventListener('pointerup', onUp);
    el.addEventListener('pointerleave', onUp);
    el.addEventListener('pointercancel', onUp);
    return () => {
      el.removeEventListener('pointerdown', onDown);
      el.removeEventListener('pointerup', onUp);
      el.removeEventListener('pointerleave', onUp);
      el.removeEventListener('pointercancel', onUp);
    };
  }, [id]);
}

const isMobile = () => typeof navigator !== 'undefined' && /Android|iPhone|iPad|Mobile/i.test(navigator.userAgent);

/**
 * Hold to talk. WeCom on a phone records and transcribes in the client (translateVoice); everywhere else the page
 * records and uploads to the server, which transcribes. Either way the server turns the words into a draft.
 */
export function VoiceButton({ platform, config, onDraft, onError }: Props) {
  const [state, setState] = useState<'idle' | 'recording' | 'working'>('idle');
  const rec = useRef<PageRecorder | null>(null);
  // A touch also fires emulated mouse events: the ref (not render state) makes down/up run once each.
  const phase = useRef<'idle' | 'recording' | 'working'>('idle');
  const go = (p: 'idle' | 'recording' | 'working') => {
    phase.current = p;
    setState(p);
  };
  const wecomNative = platform === 'wecom' && isMobile();
  const available = wecomNative || (config.voice.serverTranscription && PageRecorder.supported());

  const down = async () => {
    if (phase.current !== 'idle') return;
    go('recording');
    try {
      if (wecomNative) await startWecomRecord(config);
      else {
        rec.current = new PageRecorder();
        await rec.current.start();
      }
    } catch {
      go('idle');
      onError('无法使用麦克风，请允许录音权限后重试');
    }
  };

  const up = async () => {
    if (phase.current !== 'recording') return;
    go('working');
    try {
      let result: { transcript: string; draft: Draft };
      if (wecomNative) {
        const transcript = await stopWecomRecord(config);
        result = await api('POST', '/api/sidebar/voice-draft', { transcript });
      } else {
        result = await transcribeOnServer(await rec.current!.stop());
      }
      onDraft(result.transcript, result.draft);
    } catch (err) {
      onError((err as Error).message || '语音识别失败，请重试');
    } finally {
      go('idle');
    }
  };

  usePointerHold('voice', down, up);

  if (!available) return null;
  const label = state === 'recording' ? '松开 结束' : state === 'working' ? '识别中…' : '按住 说话';
  return (
    <View
      id="voice"
      className={`voice voice--${state}`}
      onTouchStart={process.env.TARO_ENV === 'h5' ? undefined : down}
      onTouchEnd={process.env.TARO_ENV === 'h5' ? undefined : up}
    >
      {label}
    </View>
  );
}
