export default defineAppConfig({
  pages: ['pages/index/index', 'pages/todo/index', 'pages/dashboard/index', 'pages/team/index', 'pages/settings/index'],
  window: { navigationBarTitleText: '跟进记录', navigationBarBackgroundColor: '#ffffff', navigationBarTextStyle: 'black' },
});
