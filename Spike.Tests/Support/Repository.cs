namespace Spike.Tests.Support;

/// <summary>The repository the tests run from: the directory above the test assembly holding Spike.sln.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Spike.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Spike.sln not found above " + AppContext.BaseDirectory);
    }
}
