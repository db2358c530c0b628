using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Workflows.Host.Features.Security;

/// <summary>
/// What the host reads of a signed-in user's claims on every request (the checks on its token, who calls), in one pass
/// over them. A lookup per claim type (<c>FindFirst</c>, <c>FindAll</c>, <c>HasClaim</c>) walks every claim again and,
/// on the validator's <see cref="CaseSensitiveClaimsIdentity"/>, allocates a predicate, its closure and an enumerator
/// each time: the dozen lookups of a request were a third of the bytes an authenticated request with no engine work
/// allocated (BENCHMARKS.md, issue 19 round 19).
/// </summary>
/// <remarks>
/// A claim's type is compared as its identity compares it in those lookups: ordinally on a
/// <see cref="CaseSensitiveClaimsIdentity"/> (what the token handler makes), ignoring case on any other
/// <see cref="ClaimsIdentity"/>; identities are read in order and a "first" value is the first such claim, as
/// <see cref="ClaimsPrincipal.FindFirst(string)"/> finds it.
/// </remarks>
internal sealed class TokenClaims
{
    private readonly HashSet<string> _roles = new(StringComparer.Ordinal);
    private readonly List<string> _queues = [];

    private TokenClaims()
    {
    }

    /// <summary>The first <c>sub</c> claim's value.</summary>
    public string? Name { get; private set; }

    /// <summary>The first <c>jti</c> claim's value (the token's id, which sign-out revokes).</summary>
    public string? TokenId { get; private set; }

    /// <summary>The first <c>branch</c> claim's value.</summary>
    public string? Branch { get; private set; }

    /// <summary>The first <c>customer</c> claim's value.</summary>
    public string? CustomerId { get; private set; }

    /// <summary>The values of the <c>role</c> claims.</summary>
    public IReadOnlySet<string> Roles => _roles;

    /// <summary>The values of the <c>queue</c> claims, in order.</summary>
    public List<string> Queues => _queues;

    /// <summary>Whether a claim that must be single (<c>jti</c>, <c>branch</c>, <c>sub</c>, <c>customer</c>) is given more than once.</summary>
    public bool Repeated { get; private set; }

    public static TokenClaims Of(ClaimsPrincipal user)
    {
        var read = new TokenClaims();
        string? name = null, id = null, branch = null, customer = null;
        int names = 0, ids = 0, branches = 0, customers = 0;
        foreach (var identity in user.Identities)
        {
            if (identity is null)
            {
                continue;
            }

            var comparison = identity is CaseSensitiveClaimsIdentity ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
            foreach (var claim in identity.Claims)
            {
                var type = claim.Type;
                if (string.Equals(type, WorkflowsClaims.Role, comparison))
                {
                    read._roles.Add(claim.Value);
                }
                else if (string.Equals(type, WorkflowsClaims.Queue, comparison))
                {
                    read._queues.Add(claim.Value);
                }
                else if (string.Equals(type, WorkflowsClaims.Name, comparison))
                {
                    Single(ref name, ref names, claim.Value);
                }
                else if (string.Equals(type, JwtRegisteredClaimNames.Jti, comparison))
                {
                    Single(ref id, ref ids, claim.Value);
                }
                else if (string.Equals(type, WorkflowsClaims.Branch, comparison))
                {
                    Single(ref branch, ref branches, claim.Value);
                }
                else if (string.Equals(type, WorkflowsClaims.Customer, comparison))
                {
                    Single(ref customer, ref customers, claim.Value);
                }
            }
        }

        read.Name = name;
        read.TokenId = id;
        read.Branch = branch;
        read.CustomerId = customer;
        read.Repeated = names > 1 || ids > 1 || branches > 1 || customers > 1;
        return read;
    }

    // A claim that must be single: its first value is the one read, and how many there are tells whether it was repeated.
    private static void Single(ref string? first, ref int count, string value)
    {
        first ??= value;
        count++;
    }

    /// <summary>
    /// Why a validly signed token is refused all the same, or null: no <c>jti</c>, revoked at sign-out, a claim that must be
    /// single given twice, or a staff role without a branch. Checked on every request, whether or not the signature's
    /// check was kept (<see cref="ValidatedTokens"/>).
    /// </summary>
    public string? Refusal(TokenRevocations revocations)
    {
        if (string.IsNullOrWhiteSpace(TokenId))
        {
            // Sign-out revokes a token by its id: a token without one could never be revoked.
            return "a token without a jti (token id)";
        }

        if (revocations.IsRevoked(TokenId))
        {
            return "the token was revoked at sign-out";
        }

        if (Repeated)
        {
            // Which of several branches (or names, or customer ids) would count is a guess: none does (fails closed).
            return "a token with several branch, sub, customer or jti claims";
        }

        if (string.IsNullOrWhiteSpace(Branch) && Caller.BranchBound.Any(_roles.Contains))
        {
            // Never read as "every branch": a central team says so with branch "*".
            return "a staff token without a branch claim";
        }

        return null;
    }
}
