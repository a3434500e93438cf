BEGIN TRANSACTION;
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT);
INSERT INTO "_migrations" VALUES('_m001_reports','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m002_report_events','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m003_notifications','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m004_users','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m005_append_only','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m006_words_source','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m007_staff_security','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m008_audit','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m009_kiosks','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m010_cases','2026-12-01 14:01:20');
INSERT INTO "_migrations" VALUES('_m011_kiosk_settings','2026-12-01 14:01:20');
CREATE TABLE "audit" (
   "id" INTEGER PRIMARY KEY,
   "at" TEXT NOT NULL,
   "user_id" INTEGER,
   "actor" TEXT NOT NULL,
   "role" TEXT,
   "action" TEXT NOT NULL,
   "target" TEXT,
   "detail" TEXT,
   "ip" TEXT,
   "prev_hash" TEXT NOT NULL,
   "hash" TEXT NOT NULL
);
CREATE TABLE "kiosks" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "place" TEXT DEFAULT '',
   "created_at" TEXT NOT NULL,
   "created_by" TEXT DEFAULT '',
   "enrol_code_hash" TEXT DEFAULT '',
   "enrol_expires" TEXT DEFAULT '',
   "token_hash" TEXT DEFAULT '',
   "enrolled_at" TEXT DEFAULT '',
   "revoked_at" TEXT DEFAULT '',
   "pin_failures" INTEGER DEFAULT 0,
   "pin_locked_until" TEXT DEFAULT ''
, "settings" TEXT);
CREATE TABLE "notifications" (
   "id" INTEGER PRIMARY KEY,
   "at" TEXT,
   "kind" TEXT,
   "report_id" INTEGER,
   "payload" TEXT
);
CREATE TABLE "pupils" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "year_group" TEXT,
   "created_at" TEXT NOT NULL,
   "created_by" INTEGER
);
CREATE TABLE "report_events" (
   "id" INTEGER PRIMARY KEY,
   "report_id" INTEGER REFERENCES "reports"("id"),
   "at" TEXT,
   "kind" TEXT,
   "by_user" INTEGER,
   "detail" TEXT
, "corrects" INTEGER);
CREATE TABLE "reports" (
   "id" INTEGER PRIMARY KEY,
   "client_id" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "source" TEXT,
   "kiosk" TEXT,
   "language" TEXT,
   "urgency" TEXT NOT NULL,
   "reasons" TEXT,
   "due_at" TEXT NOT NULL,
   "choices" TEXT,
   "words" TEXT,
   "name" TEXT,
   "status" TEXT NOT NULL
, "words_source" TEXT NOT NULL DEFAULT '', "kiosk_id" INTEGER, "owner_id" INTEGER, "pupil_id" INTEGER, "merged_into" INTEGER, "closed_at" TEXT, "reported_by" INTEGER, "happened" TEXT);
INSERT INTO "reports" VALUES(1,'0f8fad5b-d9cb-469f-a165-70867728950e','2026-11-18T10:30:00+00:00','kiosk','Library kiosk','en','same-day','["every worry is seen the same day"]','2026-11-18T15:00:00+00:00','[{"page": "what", "question": "What happened?", "tile": "unkind", "label": "Someone was unkind", "concept": "unkind"}]','','','new','',NULL,NULL,NULL,NULL,NULL,NULL,NULL);
CREATE TABLE "settings" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);
CREATE TABLE "staff_sessions" (
   "id" INTEGER PRIMARY KEY,
   "token_hash" TEXT NOT NULL,
   "user_id" INTEGER NOT NULL REFERENCES "users"("id"),
   "created_at" TEXT NOT NULL,
   "last_seen" TEXT NOT NULL,
   "ended_at" TEXT,
   "ended_why" TEXT
);
CREATE TABLE "users" (
   "id" INTEGER PRIMARY KEY,
   "email" TEXT NOT NULL,
   "password_hash" TEXT NOT NULL,
   "role" TEXT NOT NULL,
   "created_at" TEXT
, "name" TEXT NOT NULL DEFAULT '', "totp_secret" TEXT NOT NULL DEFAULT '', "totp_last_step" INTEGER NOT NULL DEFAULT 0, "failed_logins" INTEGER NOT NULL DEFAULT 0, "locked_until" TEXT NOT NULL DEFAULT '', "active" INTEGER NOT NULL DEFAULT 1);
CREATE UNIQUE INDEX "idx_reports_client_id"
    ON "reports" ("client_id");
CREATE INDEX "idx_reports_created_at"
    ON "reports" ("created_at");
CREATE INDEX "idx_report_events_report_id"
    ON "report_events" ("report_id");
CREATE UNIQUE INDEX "idx_users_email"
    ON "users" ("email");
CREATE TRIGGER report_events_no_update BEFORE UPDATE ON report_events BEGIN SELECT RAISE(ABORT, 'report_events is append-only'); END;
CREATE TRIGGER report_events_no_delete BEFORE DELETE ON report_events BEGIN SELECT RAISE(ABORT, 'report_events is append-only'); END;
CREATE TRIGGER notifications_no_update BEFORE UPDATE ON notifications BEGIN SELECT RAISE(ABORT, 'notifications is append-only'); END;
CREATE TRIGGER notifications_no_delete BEFORE DELETE ON notifications BEGIN SELECT RAISE(ABORT, 'notifications is append-only'); END;
CREATE UNIQUE INDEX "idx_staff_sessions_token_hash"
    ON "staff_sessions" ("token_hash");
CREATE INDEX "idx_staff_sessions_user_id"
    ON "staff_sessions" ("user_id");
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE UNIQUE INDEX "idx_kiosks_name"
    ON "kiosks" ("name");
CREATE INDEX "idx_pupils_name"
    ON "pupils" ("name");
CREATE TRIGGER reports_record_fixed BEFORE UPDATE OF client_id, created_at, source, kiosk, kiosk_id, language, urgency, reasons, due_at, choices, words, words_source, name, reported_by, happened ON reports BEGIN SELECT RAISE(ABORT, 'a stored report cannot be changed'); END;
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports BEGIN SELECT RAISE(ABORT, 'a stored report cannot be deleted'); END;
COMMIT;
