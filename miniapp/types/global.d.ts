/// <reference types="@tarojs/taro" />
declare module '*.css';
declare const LIFELINE_API_BASE: string;
declare namespace NodeJS {
  interface ProcessEnv {
    TARO_ENV: 'weapp' | 'h5' | 'dd' | 'alipay' | string;
  }
}
