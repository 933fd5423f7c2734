#pragma once
// Feedback signals: the evidence of failure that production logs hold without anyone labelling
// it. SignalDetector finds them in canonical interactions on the ingest parser thread, before
// the batch reaches the writer, so they are stored with the interaction they come from.
//
// Patterns are RE2 (linear time): they are user-editable settings stored with the store.

#include "core/store/records.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace re2 {
class RE2;
}

namespace winnow {

// The detectors' settings, with English defaults. Stored in the store as JSON (see toJson).
struct DetectorSettings
{
    // A tool call whose name matches is a handoff to a human.
    std::string handoffToolPattern =
        "(?i)(transfer|handoff|hand_off|escalat|human_agent|live_agent|live_person)";
    // An outcome (case-insensitive, exact) that means the conversation went to a human.
    std::vector<std::string> escalatedOutcomes = {"escalated", "handoff", "handed_off", "transferred"};
    // An assistant turn announcing a handoff; a question or a conditional ("... if you'd like") is
    // an offer. Either a first person doing it now, or a sentence that opens with the doing.
    std::string handoffAnnouncementPattern =
        R"((?i)((\b(i'm|i am|i'll|i will|i've|i have|let me|we'll|we will|we're|we are|we've|now)\b[^.?!;]{0,30}|(^|[.!:;—–-]\s*))\b(transferr?\w*|connect\w*|escalat\w*|hand(ing|ed)? (you|this|it|your \w+)( \w+)? (over|on|to)|pass\w* (you|this|it|your \w+)|put\w* you through|get\w* (you )?(a|an) (human|live|real)|rais\w* (this|it|your \w+) with|assign\w* (this|it|your \w+) to)\b[^.?!;]{0,60}\b(human|agent|representative|person|specialist|colleague|team|member|supervisor|manager|advisor|adviser|administrator|technician|engineer|pharmacist|officer|lead|adjuster|someone|expert|department|desk|line|billing|sales|support|them)s?\b|(^|[.!:;—–-]\s*)(transferring|connecting|putting) you (now|through)\b))";
    // An assistant turn that offers or recommends a human without handing over: a question ("Would
    // you like me to transfer you?"), a conditional ("If you decide to, I can assist in
    // transferring you to a human agent"), a recommendation ("I recommend contacting customer
    // service"). An announced handoff the user turns down is an offer too.
    std::string handoffOfferPattern =
        R"((?i)(\b(would you like|do you want|should i|shall i|can i|may i|want me to|would you prefer|would you rather)\b[^?]{0,80}\b(transfer|connect|escalat|hand|pass|put you (through|in touch)|get (a|an|someone|a human|an agent)|speak|talk|discuss|chat|refer|arrange|set up a call)\w*)|(\b(i can|i could|i'm able to|i am able to|happy to|i'd be happy to|i'll gladly)\b[^.?!]{0,40}\b(transfer|connect|escalat|hand|pass|put you|refer|arrange|set up a call|book a call|schedule a call)\w*)|(\b(our|the|a) [^.?!]{0,30}\b(team|agents?|representatives?|specialists?|staff|advisors?|technicians?) can\b)|(\b(recommend|suggest|advise|best to|best place|might want to|may want to|may wish to|you should|you can also|you could|please)\b[^.?!]{0,40}\b(contact|reach\w* out|call|speak|talk|get\w* in touch|book|consult)\w*\b[^.?!]{0,60}\b(customer (service|support|care|relations)|support (team|line)|human|agent|representative|advisor|adviser|specialist|broker|engineer|technician|doctor|gp|clinic|team|department|office|bureau|hr|emergency services|someone|them)\b))";
    // A user turn that turns an offered or announced handoff down.
    std::string handoffDeclinePattern =
        R"((?i)^\s*(no\b|nope|nah|not (now|yet|right now|at the moment)|maybe later|never ?mind|no need|don'?t|stop|wait|actually\b|it'?s (fine|ok|okay)|i'?ll (try|do|wait|use|check|go|call)|thanks,? (i'?ll|will)|let me try|found it|it worked|it'?s working|that makes sense|.{0,40}\b(first|myself)\b))";
    // A user turn after an assistant turn that says the assistant got it wrong. Patterns anchored
    // with ^ do not count right after an assistant question or offer (they would read answers and
    // declines as denials).
    std::vector<std::string> correctionPatterns = {
        R"(^\s*(no|nope|wrong|not)\b)",
        R"(\bthat'?s (wrong|not right|incorrect|not it|not what i (asked|meant|wanted)))",
        R"(\b(that|this|it|these|those|they)('s| is| are|'re| was| were) not\b|\b(that|this|it|these|those|they) (isn'?t|aren'?t|wasn'?t|weren'?t)\b)",
        R"(\bnot what i (asked|meant|wanted|said)\b)",
        R"(\bi (said|meant|asked for|asked about)\b|\bwhat i wanted\b)",
        R"(\bstill (doesn'?t|does not|isn'?t|is not|not)\b)",
        R"(\byou (misunderstood|misunderstand|got it wrong|got that wrong)\b)",
        R"(\b(the|a|that'?s the|you \w+ the) wrong \w+|\b(wrong|different) (one|item|order|answer|account|charge)\b|\bthat'?s a different \w+)",
        R"(\w,\s*not (the |that |a )?\w+|[.!]\s*not (the |that )?\w+[.!]?\s*$|\bnot \w+[.!]? \w+\.?\s*$)",
        R"(\b(backwards|the opposite|outdated|out of date|old data)\b)",
    };
    // ... unless it matches one of these ("No thanks, that's all").
    std::vector<std::string> correctionExclusions = {
        R"(^\s*no,?\s+(thanks|thank you|worries|problem|need)\b)",
        R"(^\s*no,?\s+that'?s (all|it|everything|fine|great|perfect)\b)",
        R"(\bthat'?s not (a problem|an issue|necessary|needed|a big deal|urgent)\b)",
        R"(\b(no|yes|ok),?\s*not (yet|now|really|sure|much|at all|today|anymore)\b)",
        // Frustration with the conversation, not a fact it got wrong (a complaint, often before a handoff).
        R"(\b(isn'?t|is not|'s not|not) (helping|helpful|useful|working for me)\b)",
        // A new topic, not a complaint about the last answer.
        R"(^\s*(by the way|btw|oh,? and|also\b|one more thing|another question|quick question))",
    };
    // The same user (or session) asking a near-identical question again within the window.
    int repeatWindowMinutes = 30;
    double repeatSimilarity = 0.8; // word-set containment of the shorter question in the longer
    int repeatMinWords = 3;
    // Outcomes that mean the conversation did not finish.
    std::vector<std::string> partialOutcomes = {"partial", "abandoned", "incomplete",
                                                "timeout", "timed_out", "dropped"};
    // Ratings at or below this (on a 1..5 scale; ratings below 1 are read as 0..1 and scaled) are negative.
    double lowRating = 2;
    std::string complaintPattern =
        R"((?i)(didn'?t help|not helpful|unhelpful|useless|terrible|awful|frustrat|waste of time|took forever|misunderst|repeat myself|no answer|wrong answer))";
    // A tool result that reads as an error when the log gives no status.
    std::string toolErrorResultPattern =
        R"re((?i)^\s*(\{\s*"(error|exception)"\s*:|error\b|exception\b|traceback\b|fatal\b|\d{3} internal server error))re";

    std::string toJson() const;
    // Settings missing from the JSON keep their defaults; an error names the bad field.
    static DetectorSettings fromJson(const std::string& json, std::string& error);
};

// Finds signals. Per-interaction detectors are pure; the repeat detector remembers each user's
// recent questions, so interactions are expected in roughly ascending time. Lives on one thread.
class SignalDetector
{
public:
    explicit SignalDetector(const DetectorSettings& settings = {});
    ~SignalDetector();
    SignalDetector(const SignalDetector&) = delete;
    SignalDetector& operator=(const SignalDetector&) = delete;

    // An error for a pattern that does not compile, or empty.
    const std::string& error() const { return m_error; }

    std::vector<Signal> detect(const Interaction& interaction);

    // Where the repeat detector finds the questions asked before it started (in earlier runs of an
    // incremental ingest, before a crash): the interactions started in [fromMs, toMs], in (start,
    // id) order. Asked once, at the first dated question, for the window before it, so that a run
    // over appended data finds the repeats one run over all of it would.
    using EarlierInteractions =
        std::function<std::vector<Interaction>(std::int64_t fromMs, std::int64_t toMs)>;
    void setEarlierInteractions(EarlierInteractions earlier);

    // The words a question is compared by (lowercase letters and digits), as sorted unique hashes.
    static std::vector<std::uint64_t> questionWords(const std::string& text);

private:
    void detectEscalation(const Interaction& in, std::vector<Signal>& out) const;
    void detectCorrections(const Interaction& in, std::vector<Signal>& out) const;
    void detectRepeat(const Interaction& in, std::vector<Signal>& out);
    void detectPartial(const Interaction& in, std::vector<Signal>& out) const;
    void detectNegativeFeedback(const Interaction& in, std::vector<Signal>& out) const;
    void detectToolErrors(const Interaction& in, std::vector<Signal>& out) const;
    bool isToolError(const ToolCall& call) const;

    // The questions asked within the window, oldest first, each linked to the same user's
    // previous one: memory is bounded by the window, and a new user costs no container.
    struct Asked
    {
        std::int64_t atMs;
        std::uint64_t user;          // a hash of the user, else the session
        std::int64_t previousOfUser; // sequence number, or -1
        std::vector<std::uint64_t> words;
        std::string key;
    };
    std::deque<Asked> m_window;
    std::int64_t m_windowFirst = 0; // the sequence number of m_window.front()
    std::unordered_map<std::uint64_t, std::int64_t> m_lastOfUser;
    EarlierInteractions m_earlier; // called once, then reset

    DetectorSettings m_settings;
    std::string m_error;
    std::unique_ptr<re2::RE2> m_handoffTool, m_handoffAnnouncement, m_handoffOffer, m_handoffDecline,
        m_complaint, m_toolErrorResult;
    std::vector<std::unique_ptr<re2::RE2>> m_corrections, m_correctionExclusions;
};

} // namespace winnow
