-- The development/CI database and user of Lifeline, for scripts/mariadb-up.sh and scripts/galera-up.sh (idempotent).
CREATE DATABASE IF NOT EXISTS `lifeline` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'lifeline'@'localhost' IDENTIFIED BY 'lifeline';
CREATE USER IF NOT EXISTS 'lifeline'@'127.0.0.1' IDENTIFIED BY 'lifeline';
ALTER USER 'lifeline'@'localhost' IDENTIFIED BY 'lifeline';
ALTER USER 'lifeline'@'127.0.0.1' IDENTIFIED BY 'lifeline';
GRANT ALL PRIVILEGES ON `lifeline`.* TO 'lifeline'@'localhost';
GRANT ALL PRIVILEGES ON `lifeline`.* TO 'lifeline'@'127.0.0.1';
-- Test suites create and drop their own lifeline_test_<x> databases.
GRANT ALL PRIVILEGES ON `lifeline\_test%`.* TO 'lifeline'@'localhost';
GRANT ALL PRIVILEGES ON `lifeline\_test%`.* TO 'lifeline'@'127.0.0.1';
-- npm run drill:restore loads its scratch copy into lifeline_drill_<time> (dropped after the drill).
GRANT ALL PRIVILEGES ON `lifeline\_drill%`.* TO 'lifeline'@'localhost';
GRANT ALL PRIVILEGES ON `lifeline\_drill%`.* TO 'lifeline'@'127.0.0.1';
