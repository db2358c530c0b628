using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Workflows.Host.Features.Security;

/// <summary>
/// The tokens this host has already found valid, so that an agent's every request with the same token does not decode
/// it, check its signature and build its claims again (4.6 % of the host's CPU on HTTP starts, BENCHMARKS.md round 9).
/// </summary>
/// <remarks>
/// <para>What a validation decides and a cache may keep: the signature, the issuer, the audience and the algorithm,
/// which are checked against parameters fixed when the host starts (the signing key is read once from the settings;
/// nothing here fetches keys or configuration), so a token string that passed once passes again with the same claims.
/// The one thing that changes with time is the lifetime: an entry is served only while the token is still valid by
/// its <c>exp</c> and the parameters' clock skew on the same clock the validator reads, and validated anew (so refused)
/// from then on.</para>
/// <para>What it does not keep: the host's own checks (<c>OnTokenValidated</c>: revoked at sign-out, a missing
/// <c>jti</c>, several branches, a staff token without a branch) run on every request, cached or not, so a sign-out
/// takes effect on the next request. A token that failed is never kept: a forged or expired token is validated (and
/// refused) every time. The key is the whole token string, compared ordinally: two tokens that differ in any
/// character are two entries.</para>
/// <para>Bounded: past <see cref="Capacity"/> tokens, the expired ones go, and if that is not enough, all of them (the
/// next request of each token validates it again).</para>
/// </remarks>
internal sealed class ValidatedTokens(TokenHandler inner, TimeProvider time) : TokenHandler
{
    /// <summary>How many tokens are kept at most: far more than the agents signed in to one node at once.</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _valid = new(StringComparer.Ordinal);

    /// <summary>How many validations were answered from the cache (for tests and profiling).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    private long _hits;

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(validationParameters);
        if (token is not null && _valid.TryGetValue(token, out var entry))
        {
            if (time.GetUtcNow().UtcDateTime < entry.ValidUntil)
            {
                Interlocked.Increment(ref _hits);
                return entry.Result();
            }

            // Expired since it was kept: the validator decides (and refuses it, with its own reason in the log).
            _valid.TryRemove(new KeyValuePair<string, Entry>(token, entry));
        }

        var result = await inner.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (token is not null && result.IsValid && result.SecurityToken is { ValidTo: var expires } securityToken && expires != DateTime.MinValue
            && result.ClaimsIdentity is { } identity)
        {
            Keep(token, new Entry(securityToken, identity.Clone(), result.Issuer, result.TokenType, expires + validationParameters.ClockSkew));
        }

        return result;
    }

    public override Task<TokenValidationResult> ValidateTokenAsync(SecurityToken token, TokenValidationParameters validationParameters) =>
        inner.ValidateTokenAsync(token, validationParameters);

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    public override int MaximumTokenSizeInBytes
    {
        get => inner.MaximumTokenSizeInBytes;
        set => inner.MaximumTokenSizeInBytes = value;
    }

    private void Keep(string token, Entry entry)
    {
        if (_valid.Count >= Capacity)
        {
            var now = time.GetUtcNow().UtcDateTime;
            foreach (var (key, kept) in _valid)
            {
                if (kept.ValidUntil <= now)
                {
                    _valid.TryRemove(new KeyValuePair<string, Entry>(key, kept));
                }
            }

            if (_valid.Count >= Capacity)
            {
                _valid.Clear();
            }
        }

        _valid[token] = entry;
    }

    // ValidUntil: the token's exp plus the clock skew; the validator refuses it from then on.
    private sealed record Entry(SecurityToken Token, ClaimsIdentity Identity, string? Issuer, string? TokenType, DateTime ValidUntil)
    {
        // Each request gets claims of its own: a handler adding a claim to its user never adds it to the next request's.
        public TokenValidationResult Result() => new()
        {
            IsValid = true,
            SecurityToken = Token,
            ClaimsIdentity = Identity.Clone(),
            Issuer = Issuer,
            TokenType = TokenType,
        };
    }
}
