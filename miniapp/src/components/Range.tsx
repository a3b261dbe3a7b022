import { createElement } from 'react';
import { Slider } from '@tarojs/components';

interface Props {
  id?: string;
  min: number;
  max: number;
  step: number;
  value: number;
  color: string;
  onChange: (v: number) => void;
}

/**
 * A slider that works with a finger and with a mouse: Taro's H5 Slider listens to touch events only, so in the desktop
 * WeCom/DingTalk workbench (1280 px, mouse) it could not be dragged. H5 gets the native range input; the mini-program
 * builds keep the platform's slider.
 */
export function Range({ id, min, max, step, value, color, onChange }: Props) {
  if (process.env.TARO_ENV === 'h5') {
    return createElement('input', {
      id,
      type: 'range',
      className: 'range',
      min,
      max,
      step,
      value,
      style: { accentColor: color },
      onInput: (e: { currentTarget: HTMLInputElement }) => onChange(Number(e.currentTarget.value)),
      onChange: (e: { currentTarget: HTMLInputElement }) => onChange(Number(e.currentTarget.value)),
    });
  }
  return (
    <Slider
      id={id}
      min={min}
      max={max}
      step={step}
      value={value}
      activeColor={color}
      blockSize={24}
      onChanging={(e) => onChange(e.detail.value)}
      onChange={(e) => onChange(e.detail.value)}
    />
  );
}
