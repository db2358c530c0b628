using NUnit.Framework;
using Workflows.Engine.Services;
using static Workflows.Engine.Tests.Bpmn;

namespace Workflows.Engine.Sql.Tests;

// Analysts' drafts (wf_drafts): kept per analyst, saved against a revision, renamed and deleted by their owner only.
public abstract partial class StoreSuite
{
    private static string DraftXml(string processId, string task) => Process(processId, $"""<bpmn:startEvent id="s"/>{UserTask(task)}{Chain("s", task)}""");

    [Test]
    public async Task A_draft_saved_on_one_node_is_listed_opened_saved_again_renamed_and_deleted_on_another_by_its_analyst()
    {
        var analyst = "drafter-" + Guid.NewGuid().ToString("N")[..8];
        var a = await HarnessAsync();
        var b = await HarnessAsync();
        var created = await a.Engine.Drafts.CreateAsync(analyst, "Complaint with a callback", DraftXml("complaint", "callBack"), "complaint");
        var second = await a.Engine.Drafts.CreateAsync(analyst, "Blank", DraftXml("blank", "first"));

        var listed = await b.Engine.Drafts.ListAsync(analyst);
        var opened = await b.Engine.Drafts.GetAsync(analyst, created.Id);
        var saved = await b.Engine.Drafts.SaveAsync(analyst, created.Id, DraftXml("complaint", "callBackToday"), opened.Revision);
        var renamed = await a.Engine.Drafts.RenameAsync(analyst, created.Id, "Complaint, callback the same day");
        var reopened = await a.Engine.Drafts.GetAsync(analyst, created.Id);
        await a.Engine.Drafts.DeleteAsync(analyst, second.Id);
        var left = await b.Engine.Drafts.ListAsync(analyst);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(listed.Select(d => d.Name), Is.EquivalentTo(new[] { "Complaint with a callback", "Blank" }));
            Assert.That(opened.Xml, Does.Contain("callBack").And.Not.Contain("callBackToday"));
            Assert.That((opened.ProcessId, opened.Revision, opened.Bytes), Is.EqualTo(((string?)"complaint", 1L, System.Text.Encoding.UTF8.GetByteCount(opened.Xml))));
            Assert.That(saved.Revision, Is.EqualTo(2));
            Assert.That((renamed.Name, renamed.Revision), Is.EqualTo(("Complaint, callback the same day", 2L)), "a rename keeps the revision, so an open editor's next save still fits");
            Assert.That(reopened.Xml, Does.Contain("callBackToday"));
            Assert.That(reopened.ProcessId, Is.EqualTo("complaint"), "a save without a process id keeps the one recorded");
            Assert.That(left.Select(d => d.Id), Is.EqualTo(new[] { created.Id }));
            Assert.That(Assert.ThrowsAsync<WorkflowNotFoundException>(() => b.Engine.Drafts.GetAsync(analyst, second.Id))!.Message, Does.Contain($"has no draft {second.Id}"));
        }
    }

    [Test]
    public async Task Another_analysts_draft_reads_as_absent_and_cannot_be_saved_renamed_or_deleted()
    {
        var (owner, other) = ("owner-" + Guid.NewGuid().ToString("N")[..8], "other-" + Guid.NewGuid().ToString("N")[..8]);
        var h = await HarnessAsync();
        var draft = await h.Engine.Drafts.CreateAsync(owner, "Mine", DraftXml("mine", "t"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await h.Engine.Drafts.ListAsync(other), Is.Empty);
            Assert.That(() => h.Engine.Drafts.GetAsync(other, draft.Id), Throws.TypeOf<WorkflowNotFoundException>().With.Message.EqualTo($"{other} has no draft {draft.Id}"));
            Assert.That(() => h.Engine.Drafts.SaveAsync(other, draft.Id, DraftXml("mine", "changed"), 1), Throws.TypeOf<WorkflowNotFoundException>());
            Assert.That(() => h.Engine.Drafts.RenameAsync(other, draft.Id, "Theirs"), Throws.TypeOf<WorkflowNotFoundException>());
            Assert.That(() => h.Engine.Drafts.DeleteAsync(other, draft.Id), Throws.TypeOf<WorkflowNotFoundException>());
        }

        var still = await h.Engine.Drafts.GetAsync(owner, draft.Id);
        Assert.That((still.Name, still.Revision, still.Xml), Is.EqualTo(("Mine", 1L, draft.Xml)), "nothing of it changed");
    }

    [Test]
    public async Task A_save_over_a_revision_saved_elsewhere_since_is_a_conflict_and_overwrites_nothing()
    {
        var analyst = "tabs-" + Guid.NewGuid().ToString("N")[..8];
        var a = await HarnessAsync();
        var b = await HarnessAsync();
        var draft = await a.Engine.Drafts.CreateAsync(analyst, "Two tabs", DraftXml("tabs", "first"));
        await b.Engine.Drafts.SaveAsync(analyst, draft.Id, DraftXml("tabs", "fromTabB"), 1);

        var conflict = Assert.ThrowsAsync<WorkflowConflictException>(() => a.Engine.Drafts.SaveAsync(analyst, draft.Id, DraftXml("tabs", "fromTabA"), 1));
        var stored = await a.Engine.Drafts.GetAsync(analyst, draft.Id);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(conflict!.Message, Does.Contain("is at revision 2").And.Contain("not 1").And.Contain("save this diagram as a new draft"));
            Assert.That(stored.Xml, Does.Contain("fromTabB").And.Not.Contain("fromTabA"));
        }
    }

    [Test]
    public async Task Drafts_are_limited_in_size_name_and_number_per_analyst_and_refused_whole()
    {
        var analyst = "limits-" + Guid.NewGuid().ToString("N")[..8];
        var h = await HarnessAsync();
        var tooLarge = new string('x', WorkflowDrafts.MaxXmlBytes + 1);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => h.Engine.Drafts.CreateAsync(analyst, "Huge", tooLarge), Throws.TypeOf<WorkflowInputException>().With.Message.Contain($"at most {WorkflowDrafts.MaxXmlBytes:N0} bytes"));
            Assert.That(() => h.Engine.Drafts.CreateAsync(analyst, new string('n', 201), DraftXml("n", "t")), Throws.TypeOf<WorkflowInputException>().With.Message.Contain("takes at most 200"));
            Assert.That(() => h.Engine.Drafts.CreateAsync(analyst, "  ", DraftXml("n", "t")), Throws.TypeOf<WorkflowInputException>().With.Message.Contain("needs a name"));
            Assert.That(() => h.Engine.Drafts.CreateAsync(analyst, "Empty", ""), Throws.TypeOf<WorkflowInputException>().With.Message.Contain("it is empty"));
        }

        for (var i = 0; i < WorkflowDrafts.MaxDraftsPerAnalyst; i++)
        {
            await h.Engine.Drafts.CreateAsync(analyst, $"Draft {i}", "<x/>");
        }

        var over = Assert.ThrowsAsync<WorkflowInputException>(() => h.Engine.Drafts.CreateAsync(analyst, "One more", "<x/>"));
        Assert.That(over!.Message, Does.Contain($"has {WorkflowDrafts.MaxDraftsPerAnalyst} drafts"));
        Assert.That(await h.Engine.Drafts.ListAsync(analyst), Has.Count.EqualTo(WorkflowDrafts.MaxDraftsPerAnalyst), "nothing of the refused drafts was kept");
    }
}
