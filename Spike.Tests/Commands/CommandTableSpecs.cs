using Spike.Commands;

namespace Spike.Tests.Commands;

public sealed class CommandTableSpecs
{
    [Fact]
    public void Should_parse_the_command_and_its_options_when_short_option_names_follow_the_command_words()
    {
        var parse = CommandTable.Parse("cluster-sharding locate -r inventory -e sale-1");

        Assert.Null(parse.Error);
        Assert.Same(CommandTable.ShardingLocate, parse.Command!.Spec);
        Assert.Equal("inventory", parse.Command.Option("-r"));
        Assert.Equal("sale-1", parse.Command.Option("-e"));
    }

    [Fact]
    public void Should_parse_long_option_names_under_their_short_name_when_given_in_any_order()
    {
        var parse = CommandTable.Parse("  cluster-sharding   locate --entity sale-1 --region inventory ");

        Assert.Equal("inventory", parse.Command!.Option("-r"));
        Assert.Equal("sale-1", parse.Command.Option("-e"));
    }

    [Fact]
    public void Should_parse_positional_arguments_and_counts_when_the_command_takes_them()
    {
        var down = CommandTable.Parse("cluster down akka.tcp://spike@127.0.0.1:4053");
        var hierarchy = CommandTable.Parse("actor hierarchy -d 2 -s /user");
        var bare = CommandTable.Parse("actor hierarchy");

        Assert.Equal("akka.tcp://spike@127.0.0.1:4053", down.Command!.Argument("address"));
        Assert.Equal(2, hierarchy.Command!.CountOption("-d"));
        Assert.Equal("/user", hierarchy.Command.Option("-s"));
        Assert.Null(bare.Command!.CountOption("-d"));
    }

    [Theory]
    [InlineData("cluster-sharding region-stats", "missing -r <type>", "usage: cluster-sharding region-stats -r <type>")]
    [InlineData("cluster-sharding locate -r inventory", "missing -e <entity-id>", "usage: cluster-sharding locate -r <type> -e <entity-id>")]
    [InlineData("cluster-sharding locate -r", "option -r needs a <type>", "usage: cluster-sharding locate -r <type> -e <entity-id>")]
    [InlineData("cluster down", "missing <address>", "usage: cluster down <address>")]
    [InlineData("cluster leave now", "unexpected argument 'now'", "usage: cluster leave")]
    [InlineData("actor hierarchy -d deep", "option -d needs a whole number, not 'deep'", "usage: actor hierarchy [-d <depth>] [-s <path>]")]
    [InlineData("actor hierarchy -d -1", "option -d needs a whole number, not '-1'", "usage: actor hierarchy [-d <depth>] [-s <path>]")]
    [InlineData("actor hierarchy -x 1", "unknown option '-x'", "usage: actor hierarchy [-d <depth>] [-s <path>]")]
    [InlineData("sale show a -e b", "unknown option '-e'", "usage: sale show <sale-id>")]
    [InlineData("cluster-sharding region-stats -r a -r b", "option -r given twice", "usage: cluster-sharding region-stats -r <type>")]
    public void Should_refuse_with_the_command_usage_when_its_arguments_are_wrong(string line, string error, string usage)
    {
        var parse = CommandTable.Parse(line);

        Assert.Null(parse.Command);
        Assert.Equal(error, parse.Error);
        Assert.Equal(usage, parse.Usage);
    }

    [Fact]
    public void Should_list_the_groups_commands_when_the_subcommand_is_unknown()
    {
        var parse = CommandTable.Parse("cluster frobnicate");

        Assert.Null(parse.Command);
        Assert.Equal("unknown command 'cluster frobnicate'", parse.Error);
        Assert.Contains("usage: cluster show", parse.Usage.Split('\n'));
        Assert.Contains("usage: cluster down <address>", parse.Usage.Split('\n'));
        Assert.DoesNotContain(parse.Usage.Split('\n'), line => line.StartsWith("usage: sale", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("show cluster")]
    public void Should_point_to_help_when_the_command_is_unknown_or_missing(string line)
    {
        var parse = CommandTable.Parse(line);

        Assert.Null(parse.Command);
        Assert.NotNull(parse.Error);
        Assert.StartsWith("usage: ", parse.Usage, StringComparison.Ordinal);
        Assert.Contains("'help'", parse.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_give_every_command_a_unique_name_and_a_usage_line_when_the_table_is_built()
    {
        Assert.Equal(CommandTable.All.Count, CommandTable.All.Select(s => s.Name).Distinct().Count());
        Assert.All(CommandTable.All, spec => Assert.Same(spec, CommandTable.Parse(ValidLine(spec)).Command?.Spec));
        // the interactive CLI draws " | " columns as a table: help lines must stay plain lines
        Assert.All(CommandTable.All, spec => Assert.DoesNotContain(" | ", spec.Description, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "actor cluster cluster-sharding help sale")]
    [InlineData("clu", "cluster cluster-sharding")]
    [InlineData("cluster d", "down down-unreachable")]
    [InlineData("actor ", "hierarchy system")]
    [InlineData("actor hierarchy ", "-d -s")]
    [InlineData("actor hierarchy -d 2 ", "-s")]
    [InlineData("cluster-sharding locate -r inventory ", "-e")]
    [InlineData("cluster-sharding locate -r ", "")]
    [InlineData("cluster show ", "")]
    [InlineData("nothing ", "")]
    public void Should_offer_the_words_that_can_follow_when_completing_a_line(string line, string expected)
    {
        var words = CommandTable.Complete(line);

        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), words);
    }

    /// <summary>A line the parser must accept for <paramref name="spec"/>: its words, its arguments, its required options.</summary>
    private static string ValidLine(CommandSpec spec) => string.Join(' ', spec.Words
        .Concat(spec.Arguments.Select(_ => "x"))
        .Concat(spec.Options.Where(o => o.Required).SelectMany(o => new[] { o.Name, "x" })));
}
