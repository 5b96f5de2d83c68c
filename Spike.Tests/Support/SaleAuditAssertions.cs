using Spike.Sales;

namespace Spike.Tests.Support;

public static class SaleAuditAssertions
{
    /// <summary>Every check of the audit passed; a failure message lists every check.</summary>
    public static void AssertConsistent(this SaleAudit audit) =>
        Assert.True(audit.Passed, $"audit of '{audit.Sale}':\n{audit}");
}
