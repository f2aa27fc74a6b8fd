# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_smart_global_optspecs
    string join \n p/profile= json v/verbose color= timeout= cacert= h/help V/version
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
complete -c smart -n "__fish_smart_needs_command" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_needs_command" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_needs_command" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_needs_command" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_needs_command" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_needs_command" -f -a "discover" -d 'Read and validate a server\'s SMART configuration'
complete -c smart -n "__fish_smart_needs_command" -f -a "profile" -d 'Manage server profiles (stored in the config file; never secrets)'
complete -c smart -n "__fish_smart_needs_command" -f -a "sandbox" -d 'Run an embedded SMART on FHIR server for demos and tests'
complete -c smart -n "__fish_smart_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c smart -n "__fish_smart_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c smart -n "__fish_smart_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand discover" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand discover" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand discover" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand discover" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand discover" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand discover" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand discover" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand discover" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "add" -d 'Add a profile (the first one becomes the default)'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "list" -d 'List profiles'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "show" -d 'Show one profile, workarounds included (default: the current one)'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "use" -d 'Make a profile the default'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "remove" -d 'Remove a profile'
complete -c smart -n "__fish_smart_using_subcommand profile; and not __fish_seen_subcommand_from add list show use remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
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
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l no-aud -d 'Do not send `aud` (for servers that reject it)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l format-json -d 'Workaround: add `_format=json` to FHIR requests (servers that answer XML)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l force -d 'Replace an existing profile of the same name'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from use" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a profile (the first one becomes the default)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'List profiles'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one profile, workarounds included (default: the current one)'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "use" -d 'Make a profile the default'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a profile'
complete -c smart -n "__fish_smart_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l port -d 'Port to listen on (0 = an ephemeral port)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l bind -d 'Address to bind (loopback by default)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l patients -d 'Number of synthetic patients to generate' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l seed -d 'Seed for the synthetic data (same seed, same data)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l upstream -d 'Put SMART authorization in front of this plain FHIR server instead of the synthetic data' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l token-lifetime -d 'Access token lifetime in seconds' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l clients -d 'Extra client registrations (JSON file)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l fault -d 'Misbehave in one named way (repeatable; `--fault help` lists them)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l tls-cert -d 'Serve https with this certificate chain (PEM)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l tls-key -d 'Private key (PEM) for --tls-cert' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l auto-approve -d 'Approve authorization requests without showing the consent page'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and not __fish_seen_subcommand_from launch-url help" -s h -l help -d 'Print help'
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
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from launch-url" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "launch-url" -d 'Print an EHR launch URL for an app, issued by a running sandbox'
complete -c smart -n "__fish_smart_using_subcommand sandbox; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand completions" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand completions" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand completions" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand completions" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand completions" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand completions" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand completions" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand completions" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand man" -s p -l profile -d 'Profile to use (default: the one chosen with `smart profile use`)' -r
complete -c smart -n "__fish_smart_using_subcommand man" -l color -d 'When to use colors (`NO_COLOR` is honoured by `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smart -n "__fish_smart_using_subcommand man" -l timeout -d 'Network timeout in seconds, per request' -r
complete -c smart -n "__fish_smart_using_subcommand man" -l cacert -d 'Extra PEM trust root(s) for TLS (TLS is always verified)' -r -F
complete -c smart -n "__fish_smart_using_subcommand man" -l json -d 'Machine-readable JSON output wherever there is output'
complete -c smart -n "__fish_smart_using_subcommand man" -s v -l verbose -d 'Trace HTTP requests and responses on stderr (secrets are redacted)'
complete -c smart -n "__fish_smart_using_subcommand man" -s h -l help -d 'Print help'
complete -c smart -n "__fish_smart_using_subcommand man" -s V -l version -d 'Print version'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile sandbox completions man help" -f -a "discover" -d 'Read and validate a server\'s SMART configuration'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile sandbox completions man help" -f -a "profile" -d 'Manage server profiles (stored in the config file; never secrets)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile sandbox completions man help" -f -a "sandbox" -d 'Run an embedded SMART on FHIR server for demos and tests'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile sandbox completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile sandbox completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c smart -n "__fish_smart_using_subcommand help; and not __fish_seen_subcommand_from discover profile sandbox completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "add" -d 'Add a profile (the first one becomes the default)'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'List profiles'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "show" -d 'Show one profile, workarounds included (default: the current one)'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "use" -d 'Make a profile the default'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "remove" -d 'Remove a profile'
complete -c smart -n "__fish_smart_using_subcommand help; and __fish_seen_subcommand_from sandbox" -f -a "launch-url" -d 'Print an EHR launch URL for an app, issued by a running sandbox'
