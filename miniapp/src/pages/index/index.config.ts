export default definePageConfig({ navigationBarTitleText: '跟进记录' });
