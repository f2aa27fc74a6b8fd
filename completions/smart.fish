# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_smart_global_optspecs
    string join \n p/profile= json v/verbose color= timeout= cacert= token-store= H/header= header-token-endpoint h/help V/version
end

function __fish_smart_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_smart_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_smart_using_subcommand
    set -l cmd (__fish_smart_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c smart -n "__fish_smart_needs_command" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_needs_command" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_needs_command" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_needs_command" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_needs_command" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_needs_command" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_needs_command" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_needs_command" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_needs_command" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_needs_command" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_needs_command" -f -a "discover" -d 'Read and validate a server\'s SMART configuration'
complete -c smart -n "__fish_smart_needs_command" -f -a "profile" -d 'Manage server profiles (stored in the config file; never secrets)'
complete -c smart -n "__fish_smart_needs_command" -f -a "login" -d 'Sign in (SMART App Launch: browser, loopback redirect, PKCE) and store the tokens'
complete -c smart -n "__fish_smart_needs_command" -f -a "status" -d 'Show who is logged in, with what context and scopes, and for how long'
complete -c smart -n "__fish_smart_needs_command" -f -a "token" -d 'Print the access token (refreshed first when about to expire)'
complete -c smart -n "__fish_smart_needs_command" -f -a "refresh" -d 'Refresh the tokens now'
complete -c smart -n "__fish_smart_needs_command" -f -a "logout" -d 'Revoke the tokens at the server and delete them here'
complete -c smart -n "__fish_smart_needs_command" -f -a "sandbox" -d 'Run an embedded SMART on FHIR server for demos and tests'
complete -c smart -n "__fish_smart_needs_command" -f -a "keys" -d 'Client signing keys for private_key_jwt (backend services, asymmetric clients)'
complete -c smart -n "__fish_smart_needs_command" -f -a "register" -d 'Register a client at the server (RFC 7591) and save it as a new profile'
complete -c smart -n "__fish_smart_needs_command" -f -a "query" -d 'Search: `smart query Patient family=smith --all` (streams; see --output)'
complete -c smart -n "__fish_smart_needs_command" -f -a "get" -d 'Read one resource or any URL on the FHIR server: `smart get Patient/123`'
complete -c smart -n "__fish_smart_needs_command" -f -a "create" -d 'Create a resource: `smart create Patient -d @patient.json`'
complete -c smart -n "__fish_smart_needs_command" -f -a "update" -d 'Update a resource: `smart update Patient/123 -d @patient.json [--if-match 3]`'
complete -c smart -n "__fish_smart_needs_command" -f -a "delete" -d 'Delete a resource: `smart delete Patient/123`'
complete -c smart -n "__fish_smart_needs_command" -f -a "capabilities" -d 'Summarize the server\'s CapabilityStatement (`--json` for all of it)'
complete -c smart -n "__fish_smart_needs_command" -f -a "export" -d 'FHIR Bulk Data export: kick-off, polling, parallel resumable download'
complete -c smart -n "__fish_smart_needs_command" -f -a "check" -d 'Smoke-test a server\'s SMART conformance (for server implementers)'
complete -c smart -n "__fish_smart_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c smart -n "__fish_smart_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c smart -n "__fish_smart_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand discover" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand discover" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand discover" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand discover" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand discover" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand discover" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand discover" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand discover" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand discover" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand discover" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand discover" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -f -a "add" -d 'Add a profile (the first one becomes the default)'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -f -a "list" -d 'List profiles'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -f -a "show" -d 'Show one profile, workarounds included (default: the current one)'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -f -a "use" -d 'Make a profile the default'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -f -a "remove" -d 'Remove a profile'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -f -a "set-secret" -d 'Store a profile\'s client secret in the token store (read from stdin, never an argument)'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove set-secret help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l fhir-base -d 'FHIR base URL of the server' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l client-id -d 'OAuth client id registered with the server' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l scope -d 'Default scope to request at login' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l redirect-port -d 'Fixed loopback port for the redirect URI (default: an ephemeral port)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l client-type -d 'Kind of OAuth client' -r -f -a "public\t'No client secret (native app); PKCE protects the code'
confidential-symmetric\t'Client secret (kept in the OS keychain)'
confidential-asymmetric\t'Private key JWT at the token endpoint'
backend\t'SMART Backend Services (client_credentials, no user)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l aud -d 'Value to send as `aud` instead of the FHIR base' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l pkce -d 'Workaround: PKCE `always` (default) or only `if-advertised`' -r -f -a "always\t'Always send S256 PKCE, advertised or not'
if-advertised\t'Send PKCE only when the server advertises S256'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l token-auth-method -d 'Workaround: force this token endpoint client authentication method' -r -f -a "none\t''
client_secret_basic\t''
client_secret_post\t''
private_key_jwt\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l authorize-param -d 'Workaround: extra authorize request parameter (repeatable)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l basic-auth-encoding -d 'Workaround: how client_secret_basic encodes id and secret' -r -f -a "form\t'Form-encode id and secret, then base64 (RFC 6749 §2.3.1; the default)'
raw\t'Base64 of the raw id:secret (servers that want plain HTTP Basic)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l max-retry-wait -d 'Longest Retry-After wait to honour on 429/503, in seconds (default 60)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l private-key -d 'private_key_jwt: private key file (PEM, JWK or JWKS), or `keychain` (the token store)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l kid -d 'private_key_jwt: key id the server knows the key by (default: its thumbprint)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l alg -d 'private_key_jwt: signing algorithm (default: what the key signs with)' -r -f -a "ES384\t'ECDSA on P-384 with SHA-384 (small keys, fast; the default)'
RS384\t'RSASSA-PKCS1-v1_5 with SHA-384'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l jku -d 'private_key_jwt: URL where the public JWKS is hosted (sent as `jku`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l no-aud -d 'Do not send `aud` (for servers that reject it)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l format-json -d 'Workaround: add `_format=json` to FHIR requests (servers that answer XML)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l no-scope-translation -d 'Ask for scopes as written, even when the server advertises only the other scope dialect'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l force -d 'Replace an existing profile of the same name'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from set-secret" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a profile (the first one becomes the default)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'List profiles'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one profile, workarounds included (default: the current one)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "use" -d 'Make a profile the default'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a profile'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "set-secret" -d 'Store a profile\'s client secret in the token store (read from stdin, never an argument)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand login" -l fhir-base -d 'FHIR base URL (creates or updates no profile unless none exists; see -p)' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l client-id -d 'OAuth client id (overrides the profile\'s)' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l scope -d 'Scopes to request (overrides the profile\'s)' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l launch -d 'EHR launch: the `launch` value the EHR gave (use with --iss)' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l iss -d 'EHR launch: the `iss` (FHIR base) the EHR gave' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l redirect-port -d 'Fixed loopback port for the redirect URI (default: ephemeral)' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l redirect-uri -d 'Full pre-registered loopback redirect URI, e.g. http://127.0.0.1:8765/cb' -r
complete -c smart -n "__fish_smart_using_subcommand login" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand login" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand login" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand login" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand login" -l ehr -d 'EHR launch as a real app receives it: wait on http://127.0.0.1:PORT/launch for the EHR'
complete -c smart -n "__fish_smart_using_subcommand login" -l no-browser -d 'Do not open a browser; print the URL (for SSH and containers)'
complete -c smart -n "__fish_smart_using_subcommand login" -l secret-stdin -d 'Read the client secret from stdin and store it (confidential clients)'
complete -c smart -n "__fish_smart_using_subcommand login" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand login" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand login" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand login" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand status" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand status" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand status" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand status" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand status" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand status" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand status" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand status" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand status" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand status" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand token" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand token" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand token" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand token" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand token" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand token" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand token" -l decode -d 'Show the JWT header and claims (not verified) instead of the token; an opaque token is named as such'
complete -c smart -n "__fish_smart_using_subcommand token" -l introspect -d 'Ask the server\'s introspection endpoint whether the token is active'
complete -c smart -n "__fish_smart_using_subcommand token" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand token" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand token" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand token" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand token" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand refresh" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand refresh" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand refresh" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand refresh" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand refresh" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand refresh" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand refresh" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand refresh" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand refresh" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand refresh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand refresh" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand logout" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand logout" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand logout" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand logout" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand logout" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand logout" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand logout" -l all -d 'Log out of every profile'
complete -c smart -n "__fish_smart_using_subcommand logout" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand logout" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand logout" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand logout" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l port -d 'Port to listen on (0 = an ephemeral port)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l bind -d 'Address to bind (loopback by default)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l patients -d 'Number of synthetic patients to generate' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l seed -d 'Seed for the synthetic data (same seed, same data)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l upstream -d 'Put SMART authorization in front of this plain FHIR server instead of the synthetic data' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l token-lifetime -d 'Access token lifetime in seconds' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l clients -d 'Extra client registrations (JSON file)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l fault -d 'Misbehave in one named way (repeatable or comma-separated; `--fault help` lists them)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l quirk -d 'Behave like some real EHR servers do (repeatable or comma-separated; `--quirk help` lists them)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l tls-cert -d 'Serve https with this certificate chain (PEM)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l tls-key -d 'Private key (PEM) for --tls-cert' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l export-delay -d 'Bulk export jobs stay in progress at least this long (seconds, fractions allowed)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l export-file-lines -d 'Resources per bulk export file at most (a type with more gets several files)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l auto-approve -d 'Approve authorization requests without showing the consent page'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l allow-loopback-jwks-uri -d 'Accept plain-http jwks_uri on loopback (127.0.0.1, [::1], localhost), for local tests; otherwise a registered jwks_uri must be https'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -f -a "launch-url" -d 'Print an EHR launch URL for an app, issued by a running sandbox'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l app -d 'The app\'s launch URL (where the EHR sends `iss` and `launch`)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l patient -d 'Patient in context' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l encounter -d 'Encounter in context' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l base -d 'FHIR base URL of the running sandbox' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "launch-url" -d 'Print an EHR launch URL for an app, issued by a running sandbox'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -f -a "generate" -d 'Create a key pair, keep the private key (0600 PEM or JWK, or the keychain), print the public JWKS'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -f -a "jwks" -d 'Print the public JWKS of the profile\'s key (or of --key FILE)'
complete -c smart -n "__fish_smart_using_subcommand keys; and not __fish_seen_subcommand_from generate jwks help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l alg -d 'Signing algorithm: ES384 (P-384) or RS384 (RSA 2048)' -r -f -a "ES384\t'ECDSA on P-384 with SHA-384 (small keys, fast; the default)'
RS384\t'RSASSA-PKCS1-v1_5 with SHA-384'"
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l kid -d 'Key id to publish (default: the key\'s RFC 7638 thumbprint)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l out -d 'Write the private key (mode 0600) and the JWKS into DIR (default: .)' -r -F
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l format -d 'How the private key file is written: PKCS#8 PEM (NAME.key.pem) or a private JWK with kid and alg (NAME.key.json)' -r -f -a "pem\t'PKCS#8 PEM'
jwk\t'A private JWK (JSON with `d`, `kid` and `alg`)'"
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l keychain -d 'Keep the private key in the token store (keychain) under the profile instead'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l force -d 'Replace existing key files'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from generate" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l key -d 'Private key file (PEM, JWK or JWKS) to read instead of the profile\'s key' -r -F
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l kid -d 'Key id to publish (default: the profile\'s kid, else the key\'s thumbprint)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from jwks" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Create a key pair, keep the private key (0600 PEM or JWK, or the keychain), print the public JWKS'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "jwks" -d 'Print the public JWKS of the profile\'s key (or of --key FILE)'
complete -c smart -n "__fish_smart_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand register" -l fhir-base -d 'FHIR base URL of the server (default: SMART_FHIR_BASE)' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l name -d 'Client name shown to users and administrators' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l client-type -d 'Kind of client (default: backend with a key, confidential-asymmetric with a key and --redirect-port, else public)' -r -f -a "public\t'No client secret (native app); PKCE protects the code'
confidential-symmetric\t'Client secret (kept in the OS keychain)'
confidential-asymmetric\t'Private key JWT at the token endpoint'
backend\t'SMART Backend Services (client_credentials, no user)'"
complete -c smart -n "__fish_smart_using_subcommand register" -l redirect-port -d 'Fixed loopback redirect port (default: any port, RFC 8252)' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l jwks -d 'Public JWKS file to register (default: derived from the private key)' -r -F
complete -c smart -n "__fish_smart_using_subcommand register" -l jwks-url -d 'Register this jwks_uri instead of inline keys (also sent as `jku`)' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l private-key -d 'Private key for the new profile: a PEM, JWK or JWKS file, or `keychain` (default: SMART_PRIVATE_KEY)' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l scope -d 'Scopes to register and to request (backend default: system/*.rs)' -r
complete -c smart -n "__fish_smart_using_subcommand register" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand register" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand register" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand register" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand register" -l force -d 'Replace an existing profile of the same name'
complete -c smart -n "__fish_smart_using_subcommand register" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand register" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand register" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand register" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand register" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand query" -l limit -d 'Stop after N resources (following `next` links as needed)' -r
complete -c smart -n "__fish_smart_using_subcommand query" -l count -d 'Page size (sends `_count`)' -r
complete -c smart -n "__fish_smart_using_subcommand query" -s o -l output -d 'Output format [default: table on a terminal, ndjson when piped]' -r -f -a "json\t'Pretty JSON: the resource, or an array of the search\'s resources'
ndjson\t'One resource per line (the default when stdout is not a terminal)'
bundle\t'The server\'s Bundle(s) unchanged, one per line'
table\t'A compact table: id and a summary per type (the default on a terminal)'
ids\t'`Type/id`, one per line'"
complete -c smart -n "__fish_smart_using_subcommand query" -l retries -d 'Retries on 429/503, honouring Retry-After (GET and POST _search only)' -r
complete -c smart -n "__fish_smart_using_subcommand query" -l max-retry-wait -d 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile\'s max_retry_wait, else 60)' -r
complete -c smart -n "__fish_smart_using_subcommand query" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand query" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand query" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand query" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand query" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand query" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand query" -l all -d 'Follow `next` links to the end, writing each page as it arrives'
complete -c smart -n "__fish_smart_using_subcommand query" -l post -d 'POST [base]/[Type]/_search with a form body: parameters stay out of URLs and logs (profile key `post_search = true` makes it the default)'
complete -c smart -n "__fish_smart_using_subcommand query" -l get -d 'Search with GET even when the profile sets `post_search = true`'
complete -c smart -n "__fish_smart_using_subcommand query" -l no-auth -d 'Send no token (open servers; any URL is then allowed)'
complete -c smart -n "__fish_smart_using_subcommand query" -s q -l quiet -d 'No progress bar, notes or paging hints on stderr'
complete -c smart -n "__fish_smart_using_subcommand query" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand query" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand query" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand query" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand query" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand get" -s o -l output -d 'Output format [default: json; a Bundle answer can be shown as ndjson, table or ids]' -r -f -a "json\t'Pretty JSON: the resource, or an array of the search\'s resources'
ndjson\t'One resource per line (the default when stdout is not a terminal)'
bundle\t'The server\'s Bundle(s) unchanged, one per line'
table\t'A compact table: id and a summary per type (the default on a terminal)'
ids\t'`Type/id`, one per line'"
complete -c smart -n "__fish_smart_using_subcommand get" -l retries -d 'Retries on 429/503, honouring Retry-After (GET and POST _search only)' -r
complete -c smart -n "__fish_smart_using_subcommand get" -l max-retry-wait -d 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile\'s max_retry_wait, else 60)' -r
complete -c smart -n "__fish_smart_using_subcommand get" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand get" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand get" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand get" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand get" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand get" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand get" -l no-auth -d 'Send no token (open servers; any URL is then allowed)'
complete -c smart -n "__fish_smart_using_subcommand get" -s q -l quiet -d 'No progress bar, notes or paging hints on stderr'
complete -c smart -n "__fish_smart_using_subcommand get" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand get" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand get" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand get" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand create" -s d -l data -d 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON' -r
complete -c smart -n "__fish_smart_using_subcommand create" -l retries -d 'Retries on 429/503, honouring Retry-After (GET and POST _search only)' -r
complete -c smart -n "__fish_smart_using_subcommand create" -l max-retry-wait -d 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile\'s max_retry_wait, else 60)' -r
complete -c smart -n "__fish_smart_using_subcommand create" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand create" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand create" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand create" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand create" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand create" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand create" -l no-auth -d 'Send no token (open servers; any URL is then allowed)'
complete -c smart -n "__fish_smart_using_subcommand create" -s q -l quiet -d 'No progress bar, notes or paging hints on stderr'
complete -c smart -n "__fish_smart_using_subcommand create" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand create" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand create" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand create" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand update" -s d -l data -d 'The resource: @file.json, - for stdin (the default when stdin is not a terminal), or inline JSON' -r
complete -c smart -n "__fish_smart_using_subcommand update" -l if-match -d 'Only if the current version is this ETag (W/"3", "3" or 3); else the server answers 412' -r
complete -c smart -n "__fish_smart_using_subcommand update" -l retries -d 'Retries on 429/503, honouring Retry-After (GET and POST _search only)' -r
complete -c smart -n "__fish_smart_using_subcommand update" -l max-retry-wait -d 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile\'s max_retry_wait, else 60)' -r
complete -c smart -n "__fish_smart_using_subcommand update" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand update" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand update" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand update" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand update" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand update" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand update" -l no-auth -d 'Send no token (open servers; any URL is then allowed)'
complete -c smart -n "__fish_smart_using_subcommand update" -s q -l quiet -d 'No progress bar, notes or paging hints on stderr'
complete -c smart -n "__fish_smart_using_subcommand update" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand update" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand update" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand update" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand delete" -l if-match -d 'Only if the current version is this ETag (W/"3", "3" or 3)' -r
complete -c smart -n "__fish_smart_using_subcommand delete" -l retries -d 'Retries on 429/503, honouring Retry-After (GET and POST _search only)' -r
complete -c smart -n "__fish_smart_using_subcommand delete" -l max-retry-wait -d 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile\'s max_retry_wait, else 60)' -r
complete -c smart -n "__fish_smart_using_subcommand delete" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand delete" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand delete" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand delete" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand delete" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand delete" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand delete" -l no-auth -d 'Send no token (open servers; any URL is then allowed)'
complete -c smart -n "__fish_smart_using_subcommand delete" -s q -l quiet -d 'No progress bar, notes or paging hints on stderr'
complete -c smart -n "__fish_smart_using_subcommand delete" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand delete" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand delete" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand delete" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l retries -d 'Retries on 429/503, honouring Retry-After (GET and POST _search only)' -r
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l max-retry-wait -d 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile\'s max_retry_wait, else 60)' -r
complete -c smart -n "__fish_smart_using_subcommand capabilities" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand capabilities" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l statement -d 'Print the whole CapabilityStatement as JSON (same as the global --json)'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l no-auth -d 'Send no token (open servers; any URL is then allowed)'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -s q -l quiet -d 'No progress bar, notes or paging hints on stderr'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand capabilities" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand export" -l type -d 'Resource types to export (comma-separated or repeated; sends `_type`)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l since -d 'Only resources changed since this FHIR instant, e.g. 2024-01-01T00:00:00Z (`_since`); `auto`: since the last export that finished into --out DIR (numbered exports)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l type-filter -d 'A search the resources of a type must match, e.g. Observation?status=final (repeatable; sends `_typeFilter`)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l elements -d 'Only these elements, e.g. id,status or Patient.birthDate (`_elements`)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l patient -d 'Only these patients (patient and group exports; sends a POST with `patient`)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l out -d 'Where the files, the export\'s state and log.ndjson go (a new export without it: a new directory `export-<timestamp>`; --resume, --status and --cancel need it)' -r -F
complete -c smart -n "__fish_smart_using_subcommand export" -l parallel -d 'Files downloaded at the same time' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l output-format -d '`_outputFormat`: application/fhir+ndjson, application/ndjson or ndjson' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l until -d 'Only resources changed before this FHIR instant (`_until`, Bulk Data 3.0)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l organize-output-by -d 'Files of mixed types, in blocks per resource of this type, saved as output.N.ndjson (`organizeOutputBy`, Bulk Data 3.0)' -r -f -a "Patient\t''
Group\t''
Organization\t''"
complete -c smart -n "__fish_smart_using_subcommand export" -l include-associated-data -d 'Associated data to include, e.g. LatestProvenanceResources (repeatable; `includeAssociatedData`)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l param -d 'A kick-off parameter smart does not name (repeatable)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l token-origin -d 'An origin besides the FHIR base\'s that gets the token for the files, e.g. `https://files.example.org` (repeatable; profile key token_origins)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l deadline -d 'Give up after this long, all waits included (e.g. 90s, 45m, 12h, 3d; default: no limit); --resume continues' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l attachment-types -d 'MIME types of the notes --hydrate inlines (comma-separated; default text/plain,text/html,application/xhtml+xml)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l attachment-max-size -d 'The largest note --hydrate inlines, e.g. 500K or 20M (default 10M)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l patients -d 'The crawl\'s patients: a file of ids (one a line, or CSV with an ID or MRN column) or an earlier export\'s directory (its Patient files)' -r -F
complete -c smart -n "__fish_smart_using_subcommand export" -l id-system -d 'The values of --patients (or --patient) are identifiers of this system, searched as `identifier=URI|VALUE`' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l max-rate -d 'At most R requests a second, all searches together (e.g. 20 or 0.5)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l retries -d 'Retries on 429/503, honouring Retry-After (GET and POST _search only)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l max-retry-wait -d 'Longest Retry-After wait to honour, in seconds; a server asking for more fails the command (default: the profile\'s max_retry_wait, else 60)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand export" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand export" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand export" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand export" -l resume -d 'Continue the export saved in DIR (no new kick-off)'
complete -c smart -n "__fish_smart_using_subcommand export" -l status -d 'Poll the export saved in DIR once and report'
complete -c smart -n "__fish_smart_using_subcommand export" -l cancel -d 'Cancel the export saved in DIR at the server (DELETE) and forget it'
complete -c smart -n "__fish_smart_using_subcommand export" -l gzip -d 'Ask for gzip (Accept-Encoding) and keep the files compressed (.ndjson.gz)'
complete -c smart -n "__fish_smart_using_subcommand export" -l lenient -d 'Let the server ignore parameters it does not support instead of refusing the export (`Prefer: handling=lenient`)'
complete -c smart -n "__fish_smart_using_subcommand export" -l post -d 'Kick off with POST and a Parameters body (the default is GET, and POST when the server answers GET with 405)'
complete -c smart -n "__fish_smart_using_subcommand export" -l keep-job -d 'Do not DELETE the job at the server once every file is downloaded and checked'
complete -c smart -n "__fish_smart_using_subcommand export" -l partial-manifests -d 'Ask for partial manifests (`allowPartialManifests`): download each manifest page\'s files as it arrives'
complete -c smart -n "__fish_smart_using_subcommand export" -l hydrate -d 'After the export, fetch what it references but left out (Medication, Practitioner, PractitionerRole, Organization, Location, missing Observations) and inline its notes; with --out DIR of a finished export and no export parameters, hydrate that export (no new one)'
complete -c smart -n "__fish_smart_using_subcommand export" -l crawl -d 'Crawl with FHIR searches, patient by patient and type by type, instead of `$export` (for servers whose `$export` is missing, slow or partial)'
complete -c smart -n "__fish_smart_using_subcommand export" -l no-auth -d 'Send no token (open servers; any URL is then allowed)'
complete -c smart -n "__fish_smart_using_subcommand export" -s q -l quiet -d 'No progress bar, notes or paging hints on stderr'
complete -c smart -n "__fish_smart_using_subcommand export" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand export" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand export" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand export" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand check" -l client-id -d 'Client id for the authorize and token checks (a public client, unless --secret-stdin, whose registered redirect URI is `--redirect-uri`). Default: the profile\'s' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l redirect-uri -d 'Redirect URI registered for the client' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l scope -d 'Scope the client asks for' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l other-patient -d 'A patient id the launch patient\'s token must not read (for fhir.patient-compartment)' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l only -d 'Run only these groups (discovery, authorize, token, fhir, revocation, registration, backend, bulk) or check ids; the report lists only them' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l skip -d 'Leave out these check ids (listed as skipped)' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l junit -d 'Write a JUnit XML report (one testsuite per group) to FILE' -r -F
complete -c smart -n "__fish_smart_using_subcommand check" -l transcript -d 'Write every HTTP exchange, redacted, to FILE' -r -F
complete -c smart -n "__fish_smart_using_subcommand check" -l html -d 'Write a self-contained HTML report to FILE' -r -F
complete -c smart -n "__fish_smart_using_subcommand check" -l bulk-level -d 'Export levels the bulk checks run at: system, patient, group:ID (repeat or comma-separate). Default: the levels the CapabilityStatement declares (a declared Group export needs group:ID)' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l bulk-timeout -d 'Seconds an export job of the bulk checks may take to complete' -r
complete -c smart -n "__fish_smart_using_subcommand check" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand check" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand check" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand check" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand check" -l secret-stdin -d 'Read the client\'s secret from stdin: the checks act as a confidential client (client_secret_basic, or _post)'
complete -c smart -n "__fish_smart_using_subcommand check" -l browser -d 'Complete authorization requests that need a sign-in in the browser (`BROWSER` honoured; a program that signs in by itself makes it headless)'
complete -c smart -n "__fish_smart_using_subcommand check" -l no-login -d 'Run only what needs no user (the default without --browser)'
complete -c smart -n "__fish_smart_using_subcommand check" -l ehr -d 'EHR launch: print the app\'s launch URL, wait (up to --timeout, default 120 s) for the EHR to open it, and run the checks on that launch'
complete -c smart -n "__fish_smart_using_subcommand check" -l list -d 'List the checks (id, severity, title, reference, SMART 2.2 requirement ids, Inferno test ids) and exit'
complete -c smart -n "__fish_smart_using_subcommand check" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand check" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand check" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand check" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand completions" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand completions" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand completions" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand completions" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand completions" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand completions" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand completions" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand completions" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand completions" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand completions" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand man" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand man" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand man" -l timeout -d 'Network timeout per request (default 30); for `login`, also how long to wait for the browser (default 300)' -r
complete -c smart -n "__fish_smart_using_subcommand man" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand man" -l token-store -d 'Where tokens are kept: the OS keychain (default), a 0600 file, or nowhere' -r -f -a "keychain\t'The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)'
file\t'Files under $XDG_STATE_HOME/smart, mode 0600 (explicit fallback)'
none\t'Keep nothing: tokens live for one command (CI with SMART_ACCESS_TOKEN)'"
complete -c smart -n "__fish_smart_using_subcommand man" -s H -l header -d 'Add a header to every request to the FHIR server\'s origin (discovery included; not the token endpoint): \'Name: value\', repeatable' -r
complete -c smart -n "__fish_smart_using_subcommand man" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand man" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand man" -l header-token-endpoint -d 'Send the -H and profile headers to the token endpoint too (and revocation, introspection, registration), on the same origin only'
complete -c smart -n "__fish_smart_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand man" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "discover" -d 'Read and validate a server\'s SMART configuration'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "profile" -d 'Manage server profiles (stored in the config file; never secrets)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "login" -d 'Sign in (SMART App Launch: browser, loopback redirect, PKCE) and store the tokens'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "status" -d 'Show who is logged in, with what context and scopes, and for how long'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "token" -d 'Print the access token (refreshed first when about to expire)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "refresh" -d 'Refresh the tokens now'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "logout" -d 'Revoke the tokens at the server and delete them here'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "sandbox" -d 'Run an embedded SMART on FHIR server for demos and tests'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "keys" -d 'Client signing keys for private_key_jwt (backend services, asymmetric clients)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "register" -d 'Register a client at the server (RFC 7591) and save it as a new profile'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "query" -d 'Search: `smart query Patient family=smith --all` (streams; see --output)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "get" -d 'Read one resource or any URL on the FHIR server: `smart get Patient/123`'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "create" -d 'Create a resource: `smart create Patient -d @patient.json`'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "update" -d 'Update a resource: `smart update Patient/123 -d @patient.json [--if-match 3]`'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "delete" -d 'Delete a resource: `smart delete Patient/123`'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "capabilities" -d 'Summarize the server\'s CapabilityStatement (`--json` for all of it)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "export" -d 'FHIR Bulk Data export: kick-off, polling, parallel resumable download'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "check" -d 'Smoke-test a server\'s SMART conformance (for server implementers)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile login status token refresh logout sandbox keys register query get create update delete capabilities export check completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "add" -d 'Add a profile (the first one becomes the default)'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'List profiles'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "show" -d 'Show one profile, workarounds included (default: the current one)'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "use" -d 'Make a profile the default'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "remove" -d 'Remove a profile'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "set-secret" -d 'Store a profile\'s client secret in the token store (read from stdin, never an argument)'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "launch-url" -d 'Print an EHR launch URL for an app, issued by a running sandbox'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "generate" -d 'Create a key pair, keep the private key (0600 PEM or JWK, or the keychain), print the public JWKS'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "jwks" -d 'Print the public JWKS of the profile\'s key (or of --key FILE)'
