using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using Workflows.Host.Features.Security;

namespace Workflows.Host.Tests;

/// <summary>
/// The claims a request's checks and its caller read, in one pass (issue 19 round 19: the lookups one by one were a
/// third of an authenticated request's bytes): each read is what the framework's lookup of that claim type finds on the
/// same principal, on the validator's case-sensitive identity and on a plain one, and every refusal of a signed token stays.
/// </summary>
public sealed class TokenClaimsTests
{
    private static readonly string[] s_single = ["sub", "jti", "branch", "customer"];

    private static IEnumerable<TestCaseData> Principals()
    {
        Claim[] claims =
        [
            new("sub", "ann"), new("jti", "t-1"), new("role", "agent"), new("role", "supervisor"), new("Branch", "lyon-02"),
            new("branch", "paris-01"), new("queue", "front-desk"), new("QUEUE", "claims-desk"), new("queue", "customer-care"), new("Customer", "c-9"),
        ];
        yield return new TestCaseData(new ClaimsPrincipal(new CaseSensitiveClaimsIdentity(claims, "Bearer"))).SetName("{m}(the validator's case-sensitive identity)");
        yield return new TestCaseData(new ClaimsPrincipal(new ClaimsIdentity(claims, "Bearer"))).SetName("{m}(a plain identity, types compared without case)");
        yield return new TestCaseData(new ClaimsPrincipal([new CaseSensitiveClaimsIdentity([new Claim("role", "customer")]), new CaseSensitiveClaimsIdentity([new Claim("customer", "c-1"), new Claim("sub", "carla")])]))
            .SetName("{m}(two identities, read in order)");
    }

    [TestCaseSource(nameof(Principals))]
    public void Reads_each_claim_as_the_framework_s_lookup_of_its_type_finds_it(ClaimsPrincipal user)
    {
        var read = TokenClaims.Of(user);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.Name, Is.EqualTo(user.FindFirstValue("sub")));
            Assert.That(read.TokenId, Is.EqualTo(user.FindFirstValue("jti")));
            Assert.That(read.Branch, Is.EqualTo(user.FindFirstValue("branch")));
            Assert.That(read.CustomerId, Is.EqualTo(user.FindFirstValue("customer")));
            Assert.That(read.Roles, Is.EquivalentTo(user.FindAll("role").Select(c => c.Value).Distinct()));
            Assert.That(read.Queues, Is.EqualTo(user.FindAll("queue").Select(c => c.Value)));
            Assert.That(read.Repeated, Is.EqualTo(s_single.Any(type => user.FindAll(type).Skip(1).Any())));
        }
    }

    [Test]
    public void Refuses_a_token_without_an_id_revoked_with_a_single_claim_twice_or_staff_without_a_branch()
    {
        var revocations = new TokenRevocations(TimeProvider.System);
        revocations.Revoke("t-revoked", DateTimeOffset.UtcNow.AddHours(1));
        string? Refusal(params Claim[] claims) => TokenClaims.Of(new ClaimsPrincipal(new CaseSensitiveClaimsIdentity(claims, "Bearer"))).Refusal(revocations);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Refusal(new("sub", "ann"), new("role", "agent"), new("branch", "paris-01"), new("jti", "t-1")), Is.Null);
            Assert.That(Refusal(new("sub", "carla"), new("role", "customer"), new("customer", "c-1"), new("jti", "t-2")), Is.Null, "a customer needs no branch");
            Assert.That(Refusal(new("sub", "ann"), new("role", "agent"), new("branch", "paris-01")), Is.EqualTo("a token without a jti (token id)"));
            Assert.That(Refusal(new("sub", "ann"), new("role", "agent"), new("branch", "paris-01"), new("jti", " ")), Is.EqualTo("a token without a jti (token id)"));
            Assert.That(Refusal(new("sub", "ann"), new("role", "agent"), new("branch", "paris-01"), new("jti", "t-revoked")), Is.EqualTo("the token was revoked at sign-out"));
            Assert.That(Refusal(new("sub", "ann"), new("role", "agent"), new("branch", "paris-01"), new("branch", "*"), new("jti", "t-3")), Is.EqualTo("a token with several branch, sub, customer or jti claims"));
            Assert.That(Refusal(new("sub", "ann"), new("sub", "bruno"), new("role", "agent"), new("branch", "paris-01"), new("jti", "t-4")), Is.EqualTo("a token with several branch, sub, customer or jti claims"));
            Assert.That(Refusal(new("sub", "carla"), new("role", "customer"), new("customer", "c-1"), new("customer", "c-2"), new("jti", "t-5")), Is.EqualTo("a token with several branch, sub, customer or jti claims"));
            Assert.That(Refusal(new("sub", "ann"), new("role", "agent"), new("branch", "paris-01"), new("jti", "t-6"), new("jti", "t-7")), Is.EqualTo("a token with several branch, sub, customer or jti claims"));
            Assert.That(Refusal(new("sub", "walt"), new("role", "worker"), new("jti", "t-8")), Is.EqualTo("a staff token without a branch claim"));
            Assert.That(Refusal(new("sub", "ann"), new("role", "agent"), new("Branch", "paris-01"), new("jti", "t-9")), Is.EqualTo("a staff token without a branch claim"), "the validator's claim types are case-sensitive");
        }
    }
}
