/** Plain, readable, CJK-first; on phones (375 px) each table row becomes "name type required" over its rules, never scrolling sideways. */
export const DOCS_PAGE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.6 -apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;color:#1f2328;background:#f6f7f9}
header,main{max-width:1040px;margin:0 auto;padding:16px}
header{padding-bottom:0}
h1{font-size:24px;margin:8px 0}
h2{font-size:20px;margin:32px 0 12px;padding-bottom:4px;border-bottom:2px solid #d0d7de}
h3{font-size:16px;margin:0 0 4px;overflow-wrap:anywhere}
h4{font-size:14px;margin:14px 0 6px;color:#57606a}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;background:#eef1f4;padding:1px 4px;border-radius:3px;overflow-wrap:anywhere}
a{color:#0969da}
nav{display:flex;flex-wrap:wrap;gap:6px;margin:12px 0 0}
nav a{background:#fff;border:1px solid #d0d7de;border-radius:14px;padding:2px 10px;text-decoration:none;font-size:14px}
nav a span{color:#57606a;margin-left:4px;font-size:12px}
article{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:14px 16px;margin:0 0 14px}
.path{background:none;padding:0;font-size:15px}
.m{display:inline-block;min-width:58px;text-align:center;color:#fff;font-size:12px;font-weight:600;border-radius:3px;padding:1px 6px;vertical-align:1px}
.m-get{background:#1a7f37}.m-post{background:#0969da}.m-put{background:#9a6700}.m-patch{background:#8250df}.m-delete{background:#cf222e}
.summary{margin:0;font-weight:600}
.desc{margin:4px 0;color:#424a53;font-size:14px}
.badge{font-size:12px;font-weight:400;background:#fff8c5;border:1px solid #d4a72c;border-radius:3px;padding:0 4px}
.note{font-size:13px;color:#57606a;margin:4px 0}
table{width:100%;border-collapse:collapse;font-size:14px}
th,td{text-align:left;vertical-align:top;border-top:1px solid #e5e8eb;padding:5px 8px}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}
td:first-child{white-space:nowrap}
.responses{list-style:none;margin:0;padding:0;font-size:14px}
.responses li{padding:2px 0}
.s{display:inline-block;min-width:40px;font-weight:600;font-family:ui-monospace,monospace}
.s-ok{color:#1a7f37}.s-err{color:#cf222e}
details{margin:6px 0;font-size:13px}
pre{background:#f6f8fa;border:1px solid #e5e8eb;border-radius:4px;padding:8px;overflow-x:auto;margin:4px 0}
@media (max-width:640px){
  header,main{padding:10px}
  article{padding:12px 10px}
  table,tbody{display:block;width:100%}
  th,tr:first-child{display:none}
  tr{display:block;border-top:1px solid #e5e8eb;padding:6px 0}
  td{display:inline;border:0;padding:0 8px 0 0;white-space:normal!important}
  td[data-label="约束"]{display:block;color:#424a53;padding:2px 0 0}
}
`;
