#include "core/demo/generator.h"

#include "core/ingest/canonical_json.h"
#include "core/util/text.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>

namespace winnow {

namespace {

// xoshiro256** seeded through splitmix64: fast, and the same sequence on every platform.
class Random
{
public:
    explicit Random(std::uint64_t seed)
    {
        for (auto& word : m_s) {
            seed += 0x9e3779b97f4a7c15ull;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            word = z ^ (z >> 31);
        }
    }
    std::uint64_t next()
    {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return uniform() < p; }
    std::int64_t below(std::int64_t n)
    {
        return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n));
    }
    template <typename T> const T& pick(const std::vector<T>& items)
    {
        return items[static_cast<size_t>(below(static_cast<std::int64_t>(items.size())))];
    }
    double normal()
    {
        const double u1 = std::max(uniform(), 1e-12);
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
    // A long-tailed positive value around `median`.
    double logNormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4];
};

struct Model
{
    std::string name;
    double inputPerMillion;
    double outputPerMillion;
};

struct Intent
{
    std::string name;
    std::vector<std::string> questions; // {E} entity, {O} order, {N} name
    std::string tool;
    std::string toolArguments;
    std::vector<std::string> toolResults;
    std::vector<std::string> answers;
    std::vector<std::string> followUps; // what the user meant, after a correction
};

struct Agent
{
    std::string name;
    std::string oldVersion;
    std::string newVersion;
    double releaseFraction; // where in the time range the new version ships
    std::string systemPrompt;
    std::string handoffTool;
    std::vector<Intent> intents;
    std::string regressedIntent; // worse after the release
    double weight;
};

const std::vector<Model>& models()
{
    static const std::vector<Model> list = {
        {"gpt-4o", 2.50, 10.00},
        {"gpt-4o-mini", 0.15, 0.60},
        {"claude-3-5-sonnet", 3.00, 15.00},
        {"llama-3.1-70b-instruct", 0.88, 0.88},
    };
    return list;
}

const std::vector<Agent>& agents()
{
    static const std::vector<Agent> list = {
        {"support-bot",
         "3.1.0",
         "3.2.0",
         0.5,
         "You are Acme's customer support assistant. Be concise and friendly. Use the tools to look up "
         "orders "
         "and process refunds. Transfer to a human agent when the customer asks for one or when policy "
         "requires.",
         "transfer_to_human_agents",
         {
             {"order_status",
              {"Where is my order {O}?", "Hi, can you tell me when order {O} will arrive?",
               "My package {O} still hasn't shown up, what's going on?"},
              "lookup_order",
              R"({"order_id":"{O}"})",
              {R"({"order_id":"{O}","status":"shipped","carrier":"UPS","eta":"Thursday"})",
               R"({"order_id":"{O}","status":"processing","eta":"next week"})"},
              {"Your order {O} has shipped with UPS and should arrive on Thursday.",
               "Order {O} is still being processed; it should ship next week."},
              {"I meant the replacement order, not the original one.",
               "I asked about the delivery date, not the carrier."}},
             {"refund",
              {"I want a refund for order {O}, the blender arrived broken.",
               "Can I get my money back for {O}? It's not what I ordered.",
               "Please refund order {O}, I was charged twice."},
              "issue_refund",
              R"({"order_id":"{O}","reason":"damaged"})",
              {R"({"refund_id":"RF-{O}","amount":79.99,"status":"approved"})",
               R"({"refund_id":"RF-{O}","amount":24.50,"status":"pending_review"})"},
              {"I've issued a refund for order {O}; you'll see it on your statement within 5 business days.",
               "Your refund for {O} is pending review, we'll email you within 48 hours."},
              {"I didn't ask for store credit, I want the money back on my card.",
               "You refunded the wrong item, it was the blender."}},
             {"shipping_address",
              {"I need to change the delivery address for {O} to 12 Elm Street, Springfield.",
               "Can you ship order {O} to my office instead?"},
              "update_address",
              R"({"order_id":"{O}","address":"12 Elm Street, Springfield"})",
              {R"({"order_id":"{O}","updated":true})"},
              {"Done, order {O} will now be delivered to 12 Elm Street, Springfield."},
              {"No, the new address is my office on Main Street, not Elm Street."}},
             {"cancel_subscription",
              {"How do I cancel my Acme Plus subscription?",
               "Cancel my subscription please, my email is {E}."},
              "cancel_subscription",
              R"({"account":"{E}"})",
              {R"({"cancelled":true,"effective":"end of billing period"})"},
              {"Your Acme Plus subscription is cancelled and stays active until the end of the billing "
               "period."},
              {"I wanted to pause it, not cancel it."}},
             {"billing_dispute",
              {"There's a charge on my card ending {C} that I don't recognise.",
               "Why was I billed $49 this month? My card is {C}."},
              "lookup_order",
              R"({"card_last4":"{L}"})",
              {R"({"charges":[{"amount":49.0,"description":"Acme Plus annual"}]})"},
              {"That $49 charge is the annual Acme Plus renewal."},
              {"That's not the charge I'm talking about, it's the one from last Tuesday."}},
         },
         "refund",
         0.50},
        {"it-helpdesk",
         "1.4.2",
         "1.5.0",
         0.6,
         "You are the internal IT helpdesk assistant. Verify the employee before resetting credentials. Open "
         "a ticket "
         "for hardware requests. Hand off to the on-call engineer for outages.",
         "handoff_to_agent",
         {
             {"password_reset",
              {"I'm locked out of my account, can you reset my password? I'm {N}.",
               "Password reset please, my login is {E}."},
              "reset_password",
              R"({"user":"{E}"})",
              {R"({"reset":true,"temporary_password_sent_to":"{E}"})"},
              {"I've reset your password and sent a temporary one to {E}."},
              {"I said my SSO password, not the VPN one."}},
             {"vpn_issue",
              {"The VPN keeps disconnecting every few minutes.",
               "I can't connect to the VPN from home since this morning."},
              "check_vpn_status",
              R"({"region":"eu-west"})",
              {R"({"status":"degraded","incident":"INC-4821"})", R"({"status":"ok"})"},
              {"There's a known VPN incident (INC-4821); the network team is on it.",
               "The VPN service is healthy; try reinstalling the client from the portal."},
              {"Reinstalling didn't help, it still doesn't work."}},
             {"laptop_request",
              {"My laptop screen is cracked, how do I get a replacement?",
               "I need a new laptop for a new hire starting Monday."},
              "create_ticket",
              R"({"category":"hardware","summary":"laptop replacement"})",
              {R"({"ticket":"HW-{O}","queue":"hardware"})"},
              {"I've opened ticket HW-{O} with the hardware team; they'll contact you today."},
              {"It's for a new employee, not for me."}},
             {"software_install",
              {"Can you install Tableau on my machine?", "I need admin rights to install Docker."},
              "create_ticket",
              R"({"category":"software","summary":"install request"})",
              {R"({"ticket":"SW-{O}","queue":"software"})"},
              {"Request SW-{O} is open; software installs are usually done within a day."},
              {"I asked for Docker Desktop, not Docker Engine."}},
         },
         "vpn_issue",
         0.30},
        {"sales-assistant",
         "0.9.0",
         "1.0.0",
         0.4,
         "You are Acme's sales assistant. Answer pricing questions accurately from the pricing tool, offer "
         "demos, "
         "and escalate enterprise deals to an account executive.",
         "escalate",
         {
             {"pricing",
              {"How much does the Pro plan cost for 25 seats?", "What's your pricing for teams?"},
              "get_pricing",
              R"({"plan":"pro","seats":25})",
              {R"({"plan":"pro","per_seat_month":29,"seats":25,"total_month":725})"},
              {"The Pro plan is $29 per seat per month, so $725 a month for 25 seats."},
              {"I asked about annual billing, not monthly."}},
             {"demo_request",
              {"I'd like to book a demo for next week. Reach me at {E} or {P}.",
               "Can someone show us the product? My number is {P}."},
              "book_demo",
              R"({"contact":"{E}","week":"next"})",
              {R"({"booked":true,"slot":"Tuesday 10:00"})"},
              {"You're booked for a demo on Tuesday at 10:00; the invite is on its way."},
              {"Tuesday doesn't work, I said next week Thursday."}},
             {"plan_comparison",
              {"What's the difference between Pro and Enterprise?", "Does the Team plan include SSO?"},
              "get_pricing",
              R"({"compare":["pro","enterprise"]})",
              {R"({"pro":{"sso":false},"enterprise":{"sso":true,"audit_log":true}})"},
              {"Enterprise adds SSO and audit logs on top of everything in Pro."},
              {"That's not what I asked, I wanted to know about the API limits."}},
         },
         "pricing",
         0.20},
    };
    return list;
}

const std::vector<std::string>& channels()
{
    static const std::vector<std::string> list = {"web", "web", "web", "mobile", "mobile", "email", "slack"};
    return list;
}

const std::vector<std::string> firstNames = {"alex", "maria",  "sam",  "priya", "jonas",
                                             "li",   "fatima", "noah", "emma",  "kenji"};
const std::vector<std::string> lastNames = {"smith",  "garcia", "chen",     "muller",
                                            "okafor", "rossi",  "kowalski", "tanaka"};
// Test card numbers that pass the Luhn check, as real ones would.
const std::vector<std::string> cards = {"4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009",
                                        "4012 8888 8888 1881"};

const std::vector<std::string> correctionOpeners = {"No, that's not what I asked. ",
                                                    "That's wrong. ",
                                                    "No. ",
                                                    "I said: ",
                                                    "Not what I asked. ",
                                                    "That's not right, ",
                                                    "Still doesn't work. ",
                                                    "You misunderstood. "};
const std::vector<std::string> complaintComments = {
    "This didn't help at all.", "The bot kept misunderstanding me.", "Took forever and still no answer.",
    "I had to repeat myself three times."};
const std::vector<std::string> toolErrors = {
    R"({"error":"upstream timeout after 30s"})", R"({"error":"500 Internal Server Error"})",
    R"({"error":"rate limit exceeded, retry later"})", R"({"error":"record not found"})"};

std::string replaceAll(std::string text, const std::string& from, const std::string& to)
{
    for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
        text.replace(at, from.size(), to);
    return text;
}

struct Pending
{
    Interaction interaction;
};

} // namespace

struct DemoGenerator::State
{
    explicit State(const DemoOptions& o) : options(o), random(o.seed ^ 0x5eedf00dull) {}
    DemoOptions options;
    Random random;
    std::int64_t made = 0;
    std::deque<Interaction> queued; // repeats scheduled right after their first ask
    std::int64_t users = 0;

    std::string fill(const std::string& text, const std::string& order, const std::string& email,
                     const std::string& phone, const std::string& card, const std::string& name)
    {
        std::string out = replaceAll(text, "{O}", order);
        out = replaceAll(out, "{E}", email);
        out = replaceAll(out, "{P}", phone);
        out = replaceAll(out, "{C}", card);
        out = replaceAll(out, "{L}", card.substr(card.size() - 4));
        return replaceAll(out, "{N}", name);
    }

    Interaction make(std::int64_t index);
};

DemoGenerator::DemoGenerator(const DemoOptions& options) : m_state(std::make_unique<State>(options))
{
    m_state->users = std::max<std::int64_t>(20, options.interactions / 6);
}

DemoGenerator::~DemoGenerator() = default;

std::int64_t DemoGenerator::made() const
{
    return m_state->made;
}

bool DemoGenerator::next(Interaction& out)
{
    State& s = *m_state;
    if (s.made >= s.options.interactions)
        return false;
    if (!s.queued.empty()) {
        out = std::move(s.queued.front());
        s.queued.pop_front();
    } else {
        out = s.make(s.made);
    }
    ++s.made;
    return true;
}

Interaction DemoGenerator::State::make(std::int64_t index)
{
    Random& r = random;
    const std::int64_t spanMs = static_cast<std::int64_t>(options.days) * 86'400'000;
    const std::int64_t firstMs = options.endMs - spanMs;
    const double position = (static_cast<double>(index) + r.uniform()) /
                            static_cast<double>(std::max<std::int64_t>(options.interactions, 1));
    const std::int64_t startMs = firstMs + static_cast<std::int64_t>(position * static_cast<double>(spanMs));

    // Agent by weight.
    double pick = r.uniform();
    const Agent* agent = &agents().front();
    for (const Agent& a : agents()) {
        if (pick < a.weight) {
            agent = &a;
            break;
        }
        pick -= a.weight;
    }
    const bool released = position >= agent->releaseFraction;
    const Intent& intent = r.pick(agent->intents);
    const bool fixed = options.fixAt && agent->name == "support-bot" && position >= *options.fixAt;
    const bool regressed = released && !fixed && intent.name == agent->regressedIntent;
    const Model& model =
        released && agent->name == "support-bot"
            ? models()[1]
            : models()[static_cast<size_t>(r.below(static_cast<std::int64_t>(models().size())))];

    const std::int64_t userNumber = r.below(users);
    const std::string& first =
        firstNames[static_cast<size_t>(userNumber % static_cast<std::int64_t>(firstNames.size()))];
    const std::string& last =
        lastNames[static_cast<size_t>((userNumber / 10) % static_cast<std::int64_t>(lastNames.size()))];
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "u-%06lld", static_cast<long long>(userNumber));
    const std::string user = buffer;
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(100000 + r.below(900000)));
    const std::string order = std::string("A") + buffer;
    const std::string email = first + "." + last + "@example.com";
    std::snprintf(buffer, sizeof buffer, "+1 415-555-%04lld", static_cast<long long>(r.below(10000)));
    const std::string phone = buffer;
    const std::string card = r.pick(cards);
    const std::string name = first + " " + last;

    Interaction in;
    std::snprintf(buffer, sizeof buffer, "demo-%08lld", static_cast<long long>(index));
    in.key = buffer;
    std::snprintf(buffer, sizeof buffer, "s-%012llx",
                  static_cast<unsigned long long>(r.next() & 0xffffffffffffull));
    in.session = buffer;
    in.user = user;
    in.agent = agent->name;
    in.agentVersion = fixed ? std::string("3.3.0") : released ? agent->newVersion : agent->oldVersion;
    in.model = model.name;
    in.channel = r.pick(channels());
    in.intent = intent.name;

    // What happens in this conversation.
    const double escalationRate = regressed ? 0.22 : 0.05;
    const double correctionRate = regressed ? 0.20 : 0.07;
    const bool toolError = r.chance(regressed ? 0.10 : 0.05);
    const bool partial = toolError ? r.chance(0.6) : r.chance(0.02);
    const bool correction = !partial && r.chance(correctionRate);
    const bool escalation = !partial && r.chance(escalationRate);
    const bool offerOnly = !escalation && !partial && r.chance(0.03); // offered a human, declined
    const bool repeatLater = r.chance(0.04);
    const bool withPii = r.chance(0.12);
    std::vector<std::string> truth;

    auto text = [&](const std::string& t) { return fill(t, order, email, phone, card, name); };
    auto add = [&in](std::string role, std::string content) {
        Message m;
        m.role = std::move(role);
        m.content = std::move(content);
        in.messages.push_back(std::move(m));
    };
    int callNumber = 0;
    auto call = [&](const std::string& tool, const std::string& arguments, const std::string& result,
                    bool failed) {
        Message request;
        request.role = "assistant";
        request.contentIsNull = true;
        in.messages.push_back(request);
        ToolCall c;
        std::snprintf(buffer, sizeof buffer, "call_%s_%d", in.key.c_str() + 5, ++callNumber);
        c.callId = buffer;
        c.name = tool;
        c.arguments = arguments;
        c.messageIndex = static_cast<int>(in.messages.size()) - 1;
        c.result = result;
        c.status = failed ? "error" : "ok";
        if (failed)
            c.error = "ToolError";
        c.latencyMs = std::round(r.logNormal(failed ? 2500 : 180, 0.8));
        Message response;
        response.role = "tool";
        response.toolCallId = c.callId;
        response.content = result;
        in.messages.push_back(response);
        c.resultMessageIndex = static_cast<int>(in.messages.size()) - 1;
        in.toolCalls.push_back(std::move(c));
    };

    add("system", agent->systemPrompt);
    std::string question = text(r.pick(intent.questions));
    if (withPii && question.find('@') == std::string::npos && question.find("555-") == std::string::npos)
        question += r.chance(0.5) ? " You can reach me at " + email + "." : " My number is " + phone + ".";
    add("user", question);
    if (toolError) {
        call(intent.tool, text(intent.toolArguments), r.pick(toolErrors), true);
        truth.push_back("tool_error");
        if (partial) {
            add("assistant", "I'm sorry, I couldn't complete that because one of our systems is not "
                             "responding. Please try again later.");
            in.outcome = r.chance(0.5) ? "partial" : "abandoned";
            truth.push_back("partial");
        } else {
            call(intent.tool, text(intent.toolArguments), text(r.pick(intent.toolResults)), false);
            add("assistant", text(r.pick(intent.answers)));
        }
    } else {
        call(intent.tool, text(intent.toolArguments), text(r.pick(intent.toolResults)), false);
        add("assistant", text(r.pick(intent.answers)));
        if (partial) {
            in.outcome = "abandoned";
            truth.push_back("partial");
        }
    }
    if (correction) {
        add("user", r.pick(correctionOpeners) + r.pick(intent.followUps));
        add("assistant", "Sorry about that, let me look again.");
        truth.push_back("correction");
    }
    if (escalation) {
        add("user",
            r.chance(0.5) ? "Can I talk to a real person please?" : "This isn't helping, I want a human.");
        call(agent->handoffTool, R"({"reason":"customer request","priority":"normal"})",
             R"({"status":"transferred","queue":"tier2","wait_minutes":4})", false);
        add("assistant", "I'm transferring you to a human agent now; they'll have the full conversation.");
        in.outcome = "escalated";
        truth.push_back("escalation");
    } else if (offerOnly) {
        add("assistant", "Would you like me to transfer you to a human agent?");
        add("user", "No thanks, that's all I needed.");
    }
    if (in.outcome.empty())
        in.outcome = correction ? (r.chance(0.5) ? "resolved" : "unresolved") : "resolved";

    // Usage, latency and cost: long-tailed, as production traffic is.
    const int modelCalls = static_cast<int>(in.toolCalls.size()) + 1;
    in.inputTokens = static_cast<std::int64_t>(r.logNormal(650.0 * modelCalls, 0.5));
    in.outputTokens = static_cast<std::int64_t>(r.logNormal(90.0 * modelCalls, 0.6));
    in.costUsd = std::round((static_cast<double>(*in.inputTokens) * model.inputPerMillion +
                             static_cast<double>(*in.outputTokens) * model.outputPerMillion)) /
                 1e6;
    double latency = r.logNormal(1400.0 + 600.0 * modelCalls, 0.55);
    for (const ToolCall& c : in.toolCalls)
        latency += *c.latencyMs;
    in.latencyMs = std::round(latency);
    in.startMs = startMs;
    in.endMs = startMs + static_cast<std::int64_t>(latency);

    // Explicit feedback on a share of conversations; unhappy ones leave more of it.
    const bool unhappy = correction || escalation || partial;
    if (r.chance(unhappy ? 0.35 : 0.12)) {
        in.thumb = r.chance(unhappy ? 0.85 : 0.1) ? -1 : 1;
        if (*in.thumb < 0) {
            truth.push_back("thumbs_down");
            if (r.chance(0.4))
                in.feedbackComment = r.pick(complaintComments);
        }
    }
    if (r.chance(0.08)) {
        in.rating = unhappy ? 1 + r.below(2) : 3 + r.below(3);
        if (*in.rating <= 2 && std::find(truth.begin(), truth.end(), "thumbs_down") == truth.end())
            truth.push_back("low_rating");
    }
    if (r.chance(0.3))
        in.scores.push_back(
            {"reward", std::round((unhappy ? r.uniform() * 0.5 : 0.5 + r.uniform() * 0.5) * 1000) / 1000});

    std::string metadata = "{\"region\":";
    appendJsonString(metadata, r.chance(0.6) ? "us-east" : "eu-west");
    metadata += ",\"demo\":{\"truth\":[";
    for (size_t i = 0; i < truth.size(); ++i) {
        metadata += i ? "," : "";
        appendJsonString(metadata, truth[i]);
    }
    metadata += "]";
    if (withPii)
        metadata += ",\"pii\":true";
    metadata += "}}";
    in.metadataJson = metadata;

    if (repeatLater && index + 1 < options.interactions) {
        // The same user asks nearly the same thing again a few minutes later.
        Interaction again;
        again.key = std::string(in.key) + "-r";
        std::snprintf(buffer, sizeof buffer, "s-%012llx",
                      static_cast<unsigned long long>(r.next() & 0xffffffffffffull));
        again.session = buffer;
        again.user = in.user;
        again.agent = in.agent;
        again.agentVersion = in.agentVersion;
        again.model = in.model;
        again.channel = in.channel;
        again.intent = in.intent;
        again.startMs = startMs + 120'000 + r.below(15 * 60'000);
        again.latencyMs = std::round(r.logNormal(1800, 0.5));
        again.endMs = *again.startMs + static_cast<std::int64_t>(*again.latencyMs);
        again.inputTokens = static_cast<std::int64_t>(r.logNormal(700, 0.4));
        again.outputTokens = static_cast<std::int64_t>(r.logNormal(90, 0.5));
        again.costUsd = std::round(static_cast<double>(*again.inputTokens) * model.inputPerMillion +
                                   static_cast<double>(*again.outputTokens) * model.outputPerMillion) /
                        1e6;
        Message system;
        system.role = "system";
        system.content = agent->systemPrompt;
        again.messages.push_back(system);
        Message ask;
        ask.role = "user";
        ask.content = r.chance(0.5) ? "Hello again. " + question : question;
        again.messages.push_back(ask);
        Message answer;
        answer.role = "assistant";
        answer.content = text(r.pick(intent.answers));
        again.messages.push_back(answer);
        again.outcome = "resolved";
        again.metadataJson = R"({"region":"us-east","demo":{"truth":["repeat"]}})";
        queued.push_back(std::move(again));
    }
    return in;
}

namespace {

std::string hexId(std::uint64_t a, std::uint64_t b, bool trace)
{
    char text[40];
    if (trace)
        std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(a),
                      static_cast<unsigned long long>(b));
    else
        std::snprintf(text, sizeof text, "%016llx",
                      static_cast<unsigned long long>(a ^ (b * 0x9e3779b97f4a7c15ull)));
    return text;
}

void attribute(std::string& out, bool& first, const char* key, const std::string& value)
{
    if (value.empty())
        return;
    out += first ? "" : ",";
    first = false;
    out += "{\"key\":";
    appendJsonString(out, key);
    out += ",\"value\":{\"stringValue\":";
    appendJsonString(out, value);
    out += "}}";
}

void attribute(std::string& out, bool& first, const char* key, std::optional<double> value, bool integer)
{
    if (!value)
        return;
    out += first ? "" : ",";
    first = false;
    out += "{\"key\":";
    appendJsonString(out, key);
    char text[48];
    if (integer)
        std::snprintf(text, sizeof text, ",\"value\":{\"intValue\":\"%lld\"}}",
                      static_cast<long long>(*value));
    else
        std::snprintf(text, sizeof text, ",\"value\":{\"doubleValue\":%.10g}}", *value);
    out += text;
}

// GenAI "parts" messages for messages[from, to).
std::string partsMessages(const Interaction& in, size_t from, size_t to)
{
    std::string out = "[";
    for (size_t i = from; i < to; ++i) {
        const Message& m = in.messages[i];
        out += out.size() > 1 ? ",{" : "{";
        out += "\"role\":";
        appendJsonString(out, m.role);
        out += ",\"parts\":[";
        bool firstPart = true;
        if (m.role == "tool") {
            out += "{\"type\":\"tool_call_response\",\"id\":";
            appendJsonString(out, m.toolCallId);
            out += ",\"result\":";
            appendJsonString(out, m.content);
            out += "}";
            firstPart = false;
        } else if (!m.contentIsNull) {
            out += "{\"type\":\"text\",\"content\":";
            appendJsonString(out, m.content);
            out += "}";
            firstPart = false;
        }
        for (const ToolCall& c : in.toolCalls) {
            if (c.messageIndex != static_cast<int>(i))
                continue;
            out += firstPart ? "" : ",";
            firstPart = false;
            out += "{\"type\":\"tool_call\",\"id\":";
            appendJsonString(out, c.callId);
            out += ",\"name\":";
            appendJsonString(out, c.name);
            out += ",\"arguments\":" + (c.arguments.empty() ? std::string("{}") : c.arguments) + "}";
        }
        out += "]}";
    }
    return out + "]";
}

void span(std::string& out, bool& firstSpan, const std::string& traceId, const std::string& spanId,
          const std::string& parentId, const std::string& name, int kind, std::int64_t startNs,
          std::int64_t endNs, const std::string& attributes, bool error, const std::string& errorMessage)
{
    out += firstSpan ? "{" : ",{";
    firstSpan = false;
    out += "\"traceId\":\"" + traceId + "\",\"spanId\":\"" + spanId + "\"";
    if (!parentId.empty())
        out += ",\"parentSpanId\":\"" + parentId + "\"";
    out += ",\"name\":";
    appendJsonString(out, name);
    out += ",\"kind\":" + std::to_string(kind);
    out += ",\"startTimeUnixNano\":\"" + std::to_string(startNs) + "\",\"endTimeUnixNano\":\"" +
           std::to_string(endNs) + "\"";
    out += ",\"attributes\":[" + attributes + "]";
    out += error ? ",\"status\":{\"code\":2,\"message\":" + jsonString(errorMessage) + "}"
                 : ",\"status\":{\"code\":1}";
    out += "}";
}

} // namespace

std::string otlpRequestJson(const std::vector<Interaction>& interactions)
{
    std::string out =
        R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme-agents"}},{"key":"telemetry.sdk.language","value":{"stringValue":"python"}}]},"scopeSpans":[{"scope":{"name":"winnow.demo","version":"1"},"spans":[)";
    bool firstSpan = true;
    for (const Interaction& in : interactions) {
        const std::uint64_t h = hash64(in.key);
        const std::string traceId = hexId(h, hash64(in.key + "/trace"), true);
        const std::string rootId = hexId(h, 1, false);
        const std::int64_t startNs = in.startMs.value_or(0) * 1'000'000;
        const std::int64_t endNs = in.endMs.value_or(in.startMs.value_or(0)) * 1'000'000;

        // Child spans first: the exporter sends a span when it ends, and children end first.
        const std::int64_t modelCalls = 1 + static_cast<std::int64_t>(in.toolCalls.size());
        std::int64_t cursor = startNs;
        const std::int64_t slice = std::max<std::int64_t>((endNs - startNs) / (2 * modelCalls + 1), 1);
        int chatIndex = 0;
        for (size_t i = 0; i < in.messages.size(); ++i) {
            const Message& m = in.messages[i];
            if (m.role != "assistant")
                continue;
            std::string attributes;
            bool first = true;
            attribute(attributes, first, "gen_ai.operation.name", std::string("chat"));
            attribute(attributes, first, "gen_ai.provider.name",
                      std::string(in.model.rfind("claude", 0) == 0 ? "anthropic" : "openai"));
            attribute(attributes, first, "gen_ai.request.model", in.model);
            attribute(attributes, first, "gen_ai.response.model", in.model);
            if (chatIndex == 0) { // the whole call's usage on its first model call
                attribute(attributes, first, "gen_ai.usage.input_tokens",
                          in.inputTokens ? std::optional<double>(static_cast<double>(*in.inputTokens))
                                         : std::nullopt,
                          true);
                attribute(attributes, first, "gen_ai.usage.output_tokens",
                          in.outputTokens ? std::optional<double>(static_cast<double>(*in.outputTokens))
                                          : std::nullopt,
                          true);
            }
            attribute(attributes, first, "gen_ai.conversation.id", in.session);
            attribute(attributes, first, "gen_ai.input.messages", partsMessages(in, 0, i));
            attribute(attributes, first, "gen_ai.output.messages", partsMessages(in, i, i + 1));
            const std::string spanId = hexId(h, 100 + static_cast<std::uint64_t>(i), false);
            span(out, firstSpan, traceId, spanId, rootId, "chat " + in.model, 3, cursor, cursor + slice,
                 attributes, false, {});
            cursor += slice;
            ++chatIndex;
            for (const ToolCall& c : in.toolCalls) {
                if (c.messageIndex != static_cast<int>(i))
                    continue;
                std::string toolAttributes;
                bool firstTool = true;
                attribute(toolAttributes, firstTool, "gen_ai.operation.name", std::string("execute_tool"));
                attribute(toolAttributes, firstTool, "gen_ai.tool.name", c.name);
                attribute(toolAttributes, firstTool, "gen_ai.tool.call.id", c.callId);
                attribute(toolAttributes, firstTool, "gen_ai.tool.type", std::string("function"));
                attribute(toolAttributes, firstTool, "gen_ai.tool.call.arguments", c.arguments);
                attribute(toolAttributes, firstTool, "gen_ai.tool.call.result", c.result);
                if (c.status == "error")
                    attribute(toolAttributes, firstTool, "error.type", c.error);
                const std::int64_t toolNs = static_cast<std::int64_t>(c.latencyMs.value_or(0) * 1e6);
                span(out, firstSpan, traceId,
                     hexId(h, 500 + static_cast<std::uint64_t>(c.messageIndex), false), rootId,
                     "execute_tool " + c.name, 1, cursor, cursor + toolNs, toolAttributes,
                     c.status == "error", c.error);
                cursor += slice;
            }
        }
        std::string attributes;
        bool first = true;
        attribute(attributes, first, "gen_ai.operation.name", std::string("invoke_agent"));
        attribute(attributes, first, "gen_ai.agent.name", in.agent);
        attribute(attributes, first, "gen_ai.agent.id", in.agent);
        attribute(attributes, first, "gen_ai.agent.version", in.agentVersion);
        attribute(attributes, first, "gen_ai.conversation.id", in.session);
        attribute(attributes, first, "user.id", in.user);
        attribute(attributes, first, "winnow.interaction.id", in.key);
        attribute(attributes, first, "winnow.channel", in.channel);
        attribute(attributes, first, "winnow.intent", in.intent);
        attribute(attributes, first, "winnow.outcome", in.outcome);
        attribute(attributes, first, "winnow.cost_usd", in.costUsd, false);
        if (in.thumb)
            attribute(attributes, first, "winnow.feedback.thumb", std::string(*in.thumb > 0 ? "up" : "down"));
        attribute(attributes, first, "winnow.feedback.rating", in.rating, false);
        attribute(attributes, first, "winnow.feedback.comment", in.feedbackComment);
        for (const Score& s : in.scores)
            attribute(attributes, first, ("winnow.score." + s.name).c_str(), s.value, false);
        attribute(attributes, first, "winnow.metadata", in.metadataJson);
        span(out, firstSpan, traceId, rootId, {}, "invoke_agent " + in.agent, 1, startNs, endNs, attributes,
             false, {});
    }
    out += "]}]}]}";
    return out;
}

std::string writeDemo(const DemoOptions& options, DemoFormat format, const std::string& path,
                      const std::function<void(std::int64_t)>& progress, const std::atomic<bool>* cancel)
{
    FILE* file = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (!file)
        return "cannot write " + path + ": " + std::strerror(errno);
    std::vector<char> buffer(1 << 20);
    std::setvbuf(file, buffer.data(), _IOFBF, buffer.size());
    DemoGenerator generator(options);
    Interaction interaction;
    std::vector<Interaction> traceBatch;
    std::string error;
    auto writeLine = [&](const std::string& line) {
        if (std::fwrite(line.data(), 1, line.size(), file) != line.size() || std::fputc('\n', file) == EOF)
            error = "write failed: " + std::string(std::strerror(errno));
    };
    while (error.empty() && generator.next(interaction)) {
        if (format == DemoFormat::Jsonl) {
            writeLine(canonicalJson(interaction));
        } else {
            traceBatch.push_back(std::move(interaction));
            if (traceBatch.size() == 16) { // an exporter batches several traces per request
                writeLine(otlpRequestJson(traceBatch));
                traceBatch.clear();
            }
        }
        if (progress && generator.made() % 10000 == 0)
            progress(generator.made());
        if (cancel && cancel->load()) {
            error = "cancelled";
            break;
        }
    }
    if (error.empty() && !traceBatch.empty())
        writeLine(otlpRequestJson(traceBatch));
    if (std::fflush(file) != 0 && error.empty())
        error = "write failed: " + std::string(std::strerror(errno));
    if (file != stdout)
        std::fclose(file);
    if (progress)
        progress(generator.made());
    return error;
}

} // namespace winnow
