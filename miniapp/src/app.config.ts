export default defineAppConfig({
  pages: ['pages/index/index', 'pages/dashboard/index'],
  window: { navigationBarTitleText: '跟进记录', navigationBarBackgroundColor: '#ffffff', navigationBarTextStyle: 'black' },
});
