using System.Globalization;
using System.Text;

namespace Spike.Commands;

/// <summary>
/// Every command the command host knows: the one definition the node's dispatcher, the usage lines and the
/// CLI's tab completion all read. The shapes follow Petabridge.Cmd's commands of the same names.
/// </summary>
public static class CommandTable
{
    public static readonly CommandSpec Help = new(["help"], [], [], "lists the commands");

    public static readonly CommandSpec ActorSystem = new(["actor", "system"], [], [], "the actor system's name, as akka://<name>");

    public static readonly CommandSpec ActorHierarchy = new(["actor", "hierarchy"], [],
        [new("-d", "--depth", "depth", "levels below the start (default: all)", Required: false, IsCount: true),
         new("-s", "--start", "path", "the actor to start from (default: /)", Required: false)],
        "one actor path per line");

    public static readonly CommandSpec ClusterShow = new(["cluster", "show"], [], [],
        "a line per member (address, [roles], status, unreachable, app version), then Count: N nodes");

    public static readonly CommandSpec ClusterStatus = new(["cluster", "status"], [], [], "this node's member line");

    public static readonly CommandSpec ClusterLeader = new(["cluster", "leader"], [], [], "the cluster leader's address");

    public static readonly CommandSpec ClusterJoin = new(["cluster", "join"], [new("address", "e.g. akka.tcp://spike@127.0.0.1:4053")], [],
        "this node joins the cluster at that address");

    public static readonly CommandSpec ClusterLeave = new(["cluster", "leave"], [], [],
        "this node leaves the cluster gracefully (hands its shards off, then the process stops)");

    public static readonly CommandSpec ClusterDown = new(["cluster", "down"], [new("address", "a member's address")], [],
        "marks that member down: it is removed and its process stops");

    public static readonly CommandSpec ClusterDownUnreachable = new(["cluster", "down-unreachable"], [], [],
        "marks every unreachable member down");

    public static readonly CommandSpec ShardingRegions = new(["cluster-sharding", "regions"], [], [],
        "the shard types on this node: a region, or only a proxy");

    public static readonly CommandSpec ShardingRegionStats = new(["cluster-sharding", "region-stats"], [], [TypeOption],
        "a line per region (address, [roles], status, unreachable, [coordinator], shards, entities)");

    public static readonly CommandSpec ShardingShardStats = new(["cluster-sharding", "shard-stats"], [], [TypeOption],
        "a line per shard (id, region address, entities), then the count");

    public static readonly CommandSpec ShardingLocate = new(["cluster-sharding", "locate"], [],
        [TypeOption, new("-e", "--entity", "entity-id", "the entity to find", Required: true)],
        "where an entity's shard lives and whether the entity runs");

    public static readonly CommandSpec SaleList = new(["sale", "list"], [], [], "every sale in Redis with its total, held and available");

    public static readonly CommandSpec SaleShow = new(["sale", "show"], [new("sale-id", "the sale")], [], "one sale's counts and terms, its reserve calls, and its orders (created, paid, released, the order feed's lag)");

    public static IReadOnlyList<CommandSpec> All { get; } =
    [
        Help, ActorSystem, ActorHierarchy,
        ClusterShow, ClusterStatus, ClusterLeader, ClusterJoin, ClusterLeave, ClusterDown, ClusterDownUnreachable,
        ShardingRegions, ShardingRegionStats, ShardingShardStats, ShardingLocate,
        SaleList, SaleShow,
    ];

    private static CommandOption TypeOption => new("-r", "--region", "type", "the shard type (region name), e.g. inventory", Required: true);

    /// <summary>Splits on whitespace: no argument of any command (addresses, ids, paths) contains a space.</summary>
    public static string[] Tokenize(string line) =>
        (line ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static CommandParse Parse(string line)
    {
        var tokens = Tokenize(line);
        if (tokens.Length == 0)
        {
            return CommandParse.Fail("no command given", GeneralUsage);
        }
        var spec = Match(tokens);
        if (spec is null)
        {
            var group = All.Where(s => s.Words[0] == tokens[0]).ToArray();
            return group.Length == 0
                ? CommandParse.Fail($"unknown command '{string.Join(' ', tokens)}'", GeneralUsage)
                : CommandParse.Fail($"unknown command '{string.Join(' ', tokens)}'", string.Join('\n', group.Select(s => s.Usage)));
        }
        return ParseArguments(spec, tokens[spec.Words.Length..]);
    }

    /// <summary>
    /// Words that may follow <paramref name="line"/> where its last token is being typed (empty when the line ends
    /// with a space): command words first, then the matched command's options not given yet.
    /// </summary>
    public static IReadOnlyList<string> Complete(string line)
    {
        line ??= string.Empty;
        var tokens = Tokenize(line);
        var typing = line.Length == 0 || char.IsWhiteSpace(line[^1]) ? string.Empty : tokens[^1];
        var done = typing.Length == 0 ? tokens : tokens[..^1];

        var words = All.Where(s => s.Words.Length > done.Length && s.Words.Take(done.Length).SequenceEqual(done, StringComparer.Ordinal))
            .Select(s => s.Words[done.Length]);
        var spec = Match(done);
        var options = spec is null || (done.Length > spec.Words.Length && spec.FindOption(done[^1]) is not null)
            ? [] // after an option comes its value, which only the node knows
            : spec.Options.Where(o => !done.Contains(o.Name) && !done.Contains(o.LongName)).Select(o => o.Name);
        return [.. words.Concat(options).Distinct().Where(w => w.StartsWith(typing, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    public static string GeneralUsage => "usage: <command> [arguments]; 'help' lists the commands: " +
        string.Join(", ", All.Select(s => s.Words[0]).Distinct());

    /// <summary>The command whose words begin <paramref name="tokens"/>; the longest when several do.</summary>
    private static CommandSpec? Match(string[] tokens) =>
        All.Where(s => s.Words.Length <= tokens.Length && s.Words.AsSpan().SequenceEqual(tokens.AsSpan(0, s.Words.Length)))
            .MaxBy(s => s.Words.Length);

    private static CommandParse ParseArguments(CommandSpec spec, string[] rest)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var arguments = new List<string>();
        for (var i = 0; i < rest.Length; i++)
        {
            var token = rest[i];
            if (token.Length > 1 && token[0] == '-')
            {
                var option = spec.FindOption(token);
                if (option is null)
                {
                    return CommandParse.Fail($"unknown option '{token}'", spec.Usage);
                }
                if (i + 1 >= rest.Length)
                {
                    return CommandParse.Fail($"option {option.Name} needs a <{option.ValueName}>", spec.Usage);
                }
                if (!options.TryAdd(option.Name, rest[++i]))
                {
                    return CommandParse.Fail($"option {option.Name} given twice", spec.Usage);
                }
                if (option.IsCount && !int.TryParse(options[option.Name], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    return CommandParse.Fail($"option {option.Name} needs a whole number, not '{options[option.Name]}'", spec.Usage);
                }
            }
            else
            {
                arguments.Add(token);
            }
        }
        if (arguments.Count > spec.Arguments.Count)
        {
            return CommandParse.Fail($"unexpected argument '{arguments[spec.Arguments.Count]}'", spec.Usage);
        }
        if (arguments.Count < spec.Arguments.Count)
        {
            return CommandParse.Fail($"missing <{spec.Arguments[arguments.Count].Name}>", spec.Usage);
        }
        if (spec.Options.FirstOrDefault(o => o.Required && !options.ContainsKey(o.Name)) is { } missing)
        {
            return CommandParse.Fail($"missing {missing.Name} <{missing.ValueName}>", spec.Usage);
        }
        var values = spec.Arguments.Select((a, i) => KeyValuePair.Create(a.Name, arguments[i])).Concat(options);
        return new CommandParse(new ParsedCommand(spec, new Dictionary<string, string>(values, StringComparer.Ordinal)), null, spec.Usage);
    }
}

/// <param name="Words">The words that name the command, e.g. <c>cluster show</c>.</param>
/// <param name="Arguments">Required positional arguments, in order.</param>
public sealed record CommandSpec(string[] Words, IReadOnlyList<CommandArgument> Arguments, IReadOnlyList<CommandOption> Options, string Description)
{
    public string Name => string.Join(' ', Words);

    /// <summary>e.g. <c>usage: actor hierarchy [-d &lt;depth&gt;] [-s &lt;path&gt;]</c>.</summary>
    public string Usage
    {
        get
        {
            var usage = new StringBuilder("usage: ").Append(Name);
            foreach (var argument in Arguments)
            {
                usage.Append(" <").Append(argument.Name).Append('>');
            }
            foreach (var option in Options)
            {
                usage.Append(option.Required ? " " : " [").Append(option.Name).Append(" <").Append(option.ValueName).Append('>')
                    .Append(option.Required ? "" : "]");
            }
            return usage.ToString();
        }
    }

    public CommandOption? FindOption(string token) => Options.FirstOrDefault(o => o.Name == token || o.LongName == token);
}

public sealed record CommandArgument(string Name, string Description);

/// <param name="Name">The short form, e.g. <c>-r</c>: the key of its value in <see cref="ParsedCommand.Values"/>.</param>
/// <param name="IsCount">The value must be a whole number ≥ 0.</param>
public sealed record CommandOption(string Name, string LongName, string ValueName, string Description, bool Required, bool IsCount = false);

/// <param name="Values">Arguments by name and options by short name.</param>
public sealed record ParsedCommand(CommandSpec Spec, IReadOnlyDictionary<string, string> Values)
{
    public string Argument(string name) => Values[name];

    public string? Option(string name) => Values.GetValueOrDefault(name);

    public int? CountOption(string name) =>
        Option(name) is { } value ? int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) : null;
}

/// <summary>A parsed command, or the error and the usage to print instead.</summary>
public sealed record CommandParse(ParsedCommand? Command, string? Error, string Usage)
{
    public static CommandParse Fail(string error, string usage) => new(null, error, usage);
}
