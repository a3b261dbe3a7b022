#!/bin/bash
# usage: tmp-prof-run.sh <secs> <mode>  — fresh db, profiled server, load, profile summary
set -e
pkill -f "server/src/main.ts" || true; sleep 1
mariadb --protocol=socket -uroot -e "DROP DATABASE IF EXISTS lifeline_test_gl; CREATE DATABASE lifeline_test_gl CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
rm -rf /tmp/prof2; mkdir -p /tmp/prof2
(DATABASE_URL=mysql://lifeline:lifeline@127.0.0.1:3306/lifeline_test_gl LIFELINE_DEMO=1 LOG_LEVEL=warn PORT=3999 HOST=127.0.0.1 nohup node ${PROF:+--cpu-prof --cpu-prof-dir=/tmp/prof2} --import tsx server/src/main.ts > /tmp/gl-server.log 2>&1 &)
for i in $(seq 90); do curl -sf localhost:3999/healthz >/dev/null && break; sleep 1; done
SPID=$(pgrep -f "server/src/main.ts" | head -1)
SPID=$SPID npx tsx tmp-load.mts 3999 3 8 >/dev/null 2>&1
sleep ${SETTLE:-0}; mariadb --protocol=socket -uroot -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty','Innodb_history_list_length')"; SPID=$SPID npx tsx tmp-load.mts 3999 ${1:-15} ${2:-32} 2>/dev/null
kill $SPID; sleep 3
if [ -n "$PROF" ]; then node /tmp/profsum.mjs $(ls -S /tmp/prof2/*.cpuprofile | head -1) ${TOPN:-60}; fi
