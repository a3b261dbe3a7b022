import path from 'node:path';
import { defineConfig, type UserConfigExport } from '@tarojs/cli';
import TsconfigPathsPlugin from 'tsconfig-paths-webpack-plugin';

// Monorepo fixes (see docs): compile the TypeScript of @lifeline/shared, and resolve hoisted packages from the
// root node_modules as well as miniapp's own (npm nests some Taro packages here because of root vitest's vite).
const shared = path.resolve(__dirname, '../../shared');
const rootModules = path.resolve(__dirname, '../../node_modules');

function chain(c: any) {
  c.resolve.plugin('tsconfig-paths').use(TsconfigPathsPlugin);
  c.resolve.modules.add(path.resolve(__dirname, '../node_modules')).add(rootModules).add('node_modules');
}

export default defineConfig<'webpack5'>(async () => {
  const config: UserConfigExport<'webpack5'> = {
    projectName: 'lifeline-sidebar',
    date: '2026-1-15',
    designWidth: 375,
    deviceRatio: { 375: 2, 640: 2.34 / 2, 750: 1, 828: 1.81 / 2 },
    sourceRoot: 'src',
    outputRoot: `dist/${process.env.TARO_ENV}`,
    plugins: ['@tarojs/plugin-platform-alipay-dd'],
    defineConstants: {
      // H5 is served by the Lifeline server itself (same origin); mini-program builds need the server's URL.
      LIFELINE_API_BASE: JSON.stringify(process.env.SIDEBAR_API_BASE ?? (process.env.TARO_ENV === 'h5' ? '' : 'http://127.0.0.1:3000')),
    },
    framework: 'react',
    compiler: 'webpack5',
    cache: { enable: false },
    mini: {
      compile: { include: [shared] },
      postcss: { pxtransform: { enable: true, config: {} } },
      webpackChain: chain,
    },
    h5: {
      publicPath: '/sidebar/',
      staticDirectory: 'static',
      router: { mode: 'hash' },
      compile: { include: [shared] },
      output: { filename: 'js/[name].[contenthash:8].js', chunkFilename: 'js/[name].[contenthash:8].js' },
      miniCssExtractPluginOption: { ignoreOrder: true, filename: 'css/[name].[contenthash:8].css', chunkFilename: 'css/[name].[contenthash:8].css' },
      // Design px stay CSS px at every width: Taro otherwise scales the root font with the window, so a 1280 px
      // WeCom/DingTalk workbench window showed the phone layout at twice the size instead of using the room.
      postcss: { autoprefixer: { enable: true, config: {} }, pxtransform: { enable: true, config: { minRootSize: 20, maxRootSize: 20 } } },
      webpackChain: chain,
    },
  };
  return config;
});
