using System.Xml.Linq;
using Spike.Tests.Support;

namespace Spike.Tests.Clustering;

/// <summary>
/// No Docker engine runs here, so the images are never built by the tests: what can be checked without
/// one is that each Dockerfile copies every project its node is built from, and that its dockerignore (an
/// allow-list: everything out, then what the build needs back in) lets them in. A project added to a node's references and forgotten here would break only the image.
/// </summary>
public sealed class DockerfileSpecs
{
    public static TheoryData<string, string> Images => new()
    {
        { "docker/Dockerfile.api", "Spike.Api/Spike.Api.csproj" },
        { "docker/Dockerfile.inventory", "Spike.Host/Spike.Host.csproj" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void Should_copy_every_project_the_node_is_built_from_when_the_image_is_built(string dockerfile, string project)
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, dockerfile));
        var ignored = File.ReadAllLines(Path.Combine(Repository.Root, dockerfile + ".dockerignore"));

        foreach (var directory in ProjectClosure(project))
        {
            var name = Path.GetFileName(directory);
            Assert.Contains($"COPY {name}/{name}.csproj {name}/", lines);
            Assert.Contains($"COPY {name}/ {name}/", lines);
            Assert.Contains($"!{name}/", ignored);
        }
    }

    /// <summary>The project's directory and those of every project it references, transitively.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(Path.Combine(Repository.Root, project))]);
        while (pending.TryPop(out var path))
        {
            if (!seen.Add(Path.GetDirectoryName(path)!))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(path).Descendants("ProjectReference"))
            {
                var relative = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, relative)));
            }
        }
        return seen;
    }
}
