DELETE FROM outbox_attempts WHERE message_id IN (SELECT id FROM outbox_messages WHERE subject_kind LIKE 'factoring_%');
DELETE FROM outbox_messages WHERE subject_kind LIKE 'factoring_%';
ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_operation_check;
ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_operation_check CHECK (operation IN ('request_limit', 'poll_decision',
        'notify_overdue', 'file_claim'));
ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_subject_kind_check;
ALTER TABLE outbox_messages ADD CONSTRAINT outbox_messages_subject_kind_check CHECK (subject_kind IN ('limit_decision', 'notice', 'claim'));
