-- compatible-from: 6
-- Daemons cache the principal a token (or client certificate) stands for. Any change to tokens —
-- a revocation, an expiry moved, municipality codes changed, by the admin command or by hand in
-- psql — tells every daemon at once through the notification channel their caches listen on.

CREATE FUNCTION notify_token_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('trechter_changes', 'tokens');
    RETURN NULL;
END;
$$;

CREATE TRIGGER tokens_changed
    AFTER UPDATE OR DELETE OR TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_token_change();

CREATE TRIGGER token_municipalities_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON token_municipalities
    FOR EACH STATEMENT EXECUTE FUNCTION notify_token_change();
