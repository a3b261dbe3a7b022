/**
 * The NutUI components this app uses, each with its stylesheet: importing a NutUI component without its CSS renders
 * a primary button grey like a disabled one. ESLint (no-restricted-imports) sends every NutUI import through here.
 */
import Button from '@nutui/nutui-react-taro/dist/es/packages/button/index.js';
import '@nutui/nutui-react-taro/dist/es/packages/button/style/css.js';

export { Button };
