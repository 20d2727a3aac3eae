//! Tests of the template engine: each case is what Go's text/template (with docker/cli's
//! functions) prints for the same template and data.

use serde_json::{json, Value};

use super::{render, Options, Template, TemplateError};

fn data() -> Value {
    json!({
        "Id": "abc123",
        "Name": "/web",
        "Count": 1234000,
        "Ratio": 0.5,
        "Big": 1234567.0,
        "Empty": "",
        "Nothing": null,
        "State": {"Status": "running", "Running": true, "Pid": 4242, "ExitCode": 0},
        "Config": {
            "Cmd": ["sleep", "60"],
            "Env": ["PATH=/bin", "A=b"],
            "Labels": {"com.x": "1", "b": "two", "a": "one"},
            "Html": "<a&b>",
        },
        "Mounts": [
            {"Source": "/src1", "Destination": "/d1", "RW": true},
            {"Source": "/src2", "Destination": "/d2", "RW": false},
        ],
        "Nested": [[1, 2], {"k": null}],
        "Csv": "a,b,,c",
    })
}

fn ok(tpl: &str) -> String {
    match render(tpl, &data()) {
        Ok(s) => s,
        Err(e) => panic!("{tpl}: {e}"),
    }
}

fn err(tpl: &str) -> String {
    match render(tpl, &data()) {
        Ok(s) => panic!("{tpl}: expected an error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn prints_values_as_go_fmt_v() {
    let cases = [
        ("{{.Id}}", "abc123"),
        ("{{.State.Pid}}", "4242"),
        // An integer stays an integer; a float64 prints as %v (shortest %g, e+06 from 1e6).
        ("{{.Count}}", "1234000"),
        ("{{.Big}}", "1.234567e+06"),
        ("{{.Ratio}}", "0.5"),
        ("{{.State.Running}}", "true"),
        ("{{.Config.Cmd}}", "[sleep 60]"),
        // fmt sorts map keys.
        ("{{.Config.Labels}}", "map[a:one b:two com.x:1]"),
        ("{{.Nested}}", "[[1 2] map[k:<nil>]]"),
        ("{{.Nothing}}", "<nil>"),
        // Default missingkey: a missing key is the invalid value, printed <no value>, and
        // fields of it are too.
        ("{{.Nope}}", "<no value>"),
        ("{{.Nope.Deeper}}", "<no value>"),
        ("{{.}}", "map[Big:1.234567e+06 Config:map[Cmd:[sleep 60] Env:[PATH=/bin A=b] Html:<a&b> Labels:map[a:one b:two com.x:1]] Count:1234000 Csv:a,b,,c Empty: Id:abc123 Mounts:[map[Destination:/d1 RW:true Source:/src1] map[Destination:/d2 RW:false Source:/src2]] Name:/web Nested:[[1 2] map[k:<nil>]] Nothing:<nil> Ratio:0.5 State:map[ExitCode:0 Pid:4242 Running:true Status:running]]"),
        ("{{$}}", "map[Big:1.234567e+06 Config:map[Cmd:[sleep 60] Env:[PATH=/bin A=b] Html:<a&b> Labels:map[a:one b:two com.x:1]] Count:1234000 Csv:a,b,,c Empty: Id:abc123 Mounts:[map[Destination:/d1 RW:true Source:/src1] map[Destination:/d2 RW:false Source:/src2]] Name:/web Nested:[[1 2] map[k:<nil>]] Nothing:<nil> Ratio:0.5 State:map[ExitCode:0 Pid:4242 Running:true Status:running]]"),
        ("plain text", "plain text"),
        ("", ""),
    ];
    for (tpl, want) in cases {
        assert_eq!(ok(tpl), want, "{tpl}");
    }
}

#[test]
fn literals_comments_and_trim_markers() {
    let cases = [
        (r#"{{"a\tb\n"}}"#, "a\tb\n"),
        ("{{`raw\\n`}}", "raw\\n"),
        (
            "{{42}} {{-1}} {{0x1F}} {{1_000}} {{1.5}} {{1e3}} {{'a'}}",
            "42 -1 31 1000 1.5 1000 97",
        ),
        ("{{true}} {{false}}", "true false"),
        ("a {{/* comment */}} b", "a  b"),
        ("a {{- /* comment */ -}} b", "ab"),
        ("a  {{- .Id -}}  \n b", "aabc123b"),
        // `{{-3}}` is the number -3, not a trim marker.
        ("x {{-3}}", "x -3"),
        ("{{ .Id }}", "abc123"),
        ("{{(.State).Pid}}", "4242"),
        ("{{(index .Mounts 1).Source}}", "/src2"),
    ];
    for (tpl, want) in cases {
        assert_eq!(ok(tpl), want, "{tpl}");
    }
}

#[test]
fn control_structures() {
    let cases = [
        ("{{if .State.Running}}up{{else}}down{{end}}", "up"),
        (
            "{{if .Empty}}x{{else if .Nothing}}y{{else if .Id}}z{{end}}",
            "z",
        ),
        ("{{if .Nope}}x{{end}}", ""),
        ("{{if and .Id .Empty}}x{{else}}y{{end}}", "y"),
        ("{{with .State}}{{.Status}}:{{.Pid}}{{end}}", "running:4242"),
        ("{{with .Nope}}x{{else}}none{{end}}", "none"),
        ("{{with .Empty}}x{{else with .Id}}{{.}}{{end}}", "abc123"),
        ("{{range .Mounts}}{{.Source}} {{end}}", "/src1 /src2 "),
        (
            "{{range $i, $m := .Mounts}}{{$i}}={{$m.Destination}};{{end}}",
            "0=/d1;1=/d2;",
        ),
        ("{{range $m := .Mounts}}{{$m.RW}},{{end}}", "true,false,"),
        // Maps range in sorted key order.
        (
            r#"{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{"\n"}}{{end}}"#,
            "a=one\nb=two\ncom.x=1\n",
        ),
        ("{{range .Config.Env}}[{{.}}]{{end}}", "[PATH=/bin][A=b]"),
        ("{{range .Nothing}}x{{else}}empty{{end}}", "empty"),
        ("{{range .Nope}}x{{else}}empty{{end}}", "empty"),
        ("{{range 3}}{{.}}{{end}}", "012"),
        (
            "{{range .Config.Cmd}}{{if eq . \"60\"}}{{break}}{{end}}{{.}}{{end}}",
            "sleep",
        ),
        (
            "{{range .Config.Cmd}}{{if eq . \"sleep\"}}{{continue}}{{end}}{{.}}{{end}}",
            "60",
        ),
        // Inside range, $ is still the top-level data.
        ("{{range .Mounts}}{{$.Id}}{{end}}", "abc123abc123"),
        ("{{$x := .State.Pid}}{{$x}}", "4242"),
        ("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"),
        // A variable declared in a block ends with it.
        (
            "{{$x := 1}}{{with .Id}}{{$x := 5}}{{$x}}{{end}}{{$x}}",
            "51",
        ),
    ];
    for (tpl, want) in cases {
        assert_eq!(ok(tpl), want, "{tpl}");
    }
}

#[test]
fn pipelines_and_go_builtins() {
    let cases = [
        ("{{.Name | upper}}", "/WEB"),
        ("{{.Id | printf \"%s-%s\" .Name}}", "/web-abc123"),
        (r#"{{printf "%s:%d" .Name .State.Pid}}"#, "/web:4242"),
        (
            r#"{{printf "%5d|%-5s|%05d|%x|%q|%v|%t" 42 "ab" 42 255 "q" .Config.Cmd true}}"#,
            "   42|ab   |00042|ff|\"q\"|[sleep 60]|true",
        ),
        (
            r#"{{printf "%.2f %e %g" 3.14159 1234.5 0.5}}"#,
            "3.14 1.234500e+03 0.5",
        ),
        (r#"{{printf "%d" "x"}}"#, "%!d(string=x)"),
        (r#"{{printf "%s %s" "x"}}"#, "x %!s(MISSING)"),
        (r#"{{printf "%s" "x" 3}}"#, "x%!(EXTRA int=3)"),
        (r#"{{printf "%s" .Config.Cmd}}"#, "[sleep 60]"),
        (r#"{{printf "%v" .Nope}}"#, "<nil>"),
        ("{{println .Id .State.Pid}}", "abc123 4242\n"),
        ("{{println}}", "\n"),
        // Sprint puts spaces only between operands that are not strings.
        ("{{print .Id .State.Pid 1 2 \"s\"}}", "abc1234242 1 2s"),
        ("{{print .Nope}}", "<nil>"),
        (
            "{{len .Mounts}} {{len .Id}} {{len .Config.Labels}}",
            "2 6 3",
        ),
        (r#"{{index .Config.Labels "com.x"}}"#, "1"),
        // A typed map[string]string (Labels) gives "" for a missing key.
        (r#"[{{index .Config.Labels "nope"}}]"#, "[]"),
        ("{{index .Config.Cmd 1}}", "60"),
        ("{{index .Nested 0 1}}", "2"),
        ("{{index .Id 0}}", "97"),
        ("{{slice .Id 1 3}} {{slice .Config.Cmd 1}}", "bc [60]"),
        (
            r#"{{eq .State.Status "running"}} {{eq .State.Pid 4242}} {{eq .Id "x" "abc123"}}"#,
            "true true true",
        ),
        (r#"{{ne .State.Status "running"}} {{ne 1 2}}"#, "false true"),
        (
            "{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 2 3}} {{lt \"a\" \"b\"}}",
            "true true false false true",
        ),
        ("{{eq .Nope .Nothing}}", "true"),
        (
            "{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 \"\"}}",
            "0 2 3 ",
        ),
        // and/or short-circuit: the failing call is never made.
        ("{{or .Id (index .Nothing 1)}}", "abc123"),
        ("{{not .Empty}} {{not .Id}}", "true false"),
        ("{{.Config.Html | html}}", "&lt;a&amp;b&gt;"),
        ("{{urlquery \"a b&c\"}}", "a+b%26c"),
        ("{{js \"it's <x>\"}}", "it\\'s \\u003Cx\\u003E"),
    ];
    for (tpl, want) in cases {
        assert_eq!(ok(tpl), want, "{tpl}");
    }
}

#[test]
fn docker_functions() {
    let cases = [
        (
            "{{json .State}}",
            r#"{"Status":"running","Running":true,"Pid":4242,"ExitCode":0}"#,
        ),
        ("{{json .Config.Cmd}}", r#"["sleep","60"]"#),
        ("{{json .Name}}", r#""/web""#),
        (
            "{{json .Count}} {{json .Ratio}} {{json .Nothing}} {{json .Nope}}",
            "1234000 0.5 null null",
        ),
        // docker/cli's json sets SetEscapeHTML(false).
        ("{{json .Config.Html}}", r#""<a&b>""#),
        (
            "{{json .Mounts}}",
            r#"[{"Source":"/src1","Destination":"/d1","RW":true},{"Source":"/src2","Destination":"/d2","RW":false}]"#,
        ),
        (r#"{{join .Config.Cmd " "}}"#, "sleep 60"),
        (r#"{{join .Config.Env ","}}"#, "PATH=/bin,A=b"),
        (r#"{{split .Csv ","}}"#, "[a b  c]"),
        (r#"{{len (split .Csv ",")}}"#, "4"),
        (r#"{{range split .Csv ","}}<{{.}}>{{end}}"#, "<a><b><><c>"),
        (
            "{{lower \"AbC\"}} {{upper .Name}} {{title \"hello wide-world foo_bar\"}}",
            "abc /WEB Hello Wide-World Foo_bar",
        ),
        ("[{{pad .Id 1 2}}] [{{pad .Empty 1 2}}]", "[ abc123  ] []"),
        ("{{truncate .Id 3}} {{truncate .Id 10}}", "abc abc123"),
        ("{{.Name | truncate 2}}", "wrong"),
    ];
    for (tpl, want) in cases {
        if want == "wrong" {
            // The piped value is the last argument: truncate(2, .Name) is a type error.
            assert!(render(tpl, &data()).is_err(), "{tpl}");
            continue;
        }
        assert_eq!(ok(tpl), want, "{tpl}");
    }
}

#[test]
fn parse_errors_read_as_go() {
    let cases = [
        ("{{foo .Id}}", r#"template: :1: function "foo" not defined"#),
        ("{{.Id", "template: :1: unclosed action"),
        ("{{if .Id}}x", "template: :1: unexpected EOF"),
        ("x{{end}}", "template: :1: unexpected {{end}}"),
        ("{{else}}", "template: :1: unexpected {{else}}"),
        ("{{}}", "template: :1: missing value for command"),
        ("{{$x}}", r#"template: :1: undefined variable "$x""#),
        ("{{break}}", "template: :1: {{break}} outside {{range}}"),
        ("a\n{{/* x", "template: :2: unclosed comment"),
        ("{{range}}{{end}}", "template: :1: missing value for range"),
        (
            "{{.Id | 3}}",
            "template: :1: non executable command in pipeline stage 2",
        ),
        (r#"{{"abc}}"#, "template: :1: unterminated quoted string"),
        ("{{.Id}}\n{{.Id)}}", "template: :2: unexpected right paren"),
    ];
    for (tpl, want) in cases {
        let e = err(tpl);
        assert_eq!(e, want, "{tpl}");
        assert!(
            matches!(Template::parse(tpl), Err(TemplateError::Parse(_))),
            "{tpl}"
        );
    }
}

#[test]
fn execution_errors_read_as_go() {
    let cases = [
        // Positions are byte columns of the node; a chain's node starts at its 2nd field.
        ("{{.Id.X}}", "template: :1:5: executing \"\" at <.Id.X>: can't evaluate field X in type string"),
        ("{{.Nothing.X}}", "template: :1:10: executing \"\" at <.Nothing.X>: nil pointer evaluating interface {}.X"),
        ("{{index .Config.Cmd 5}}", "template: :1:2: executing \"\" at <index .Config.Cmd 5>: error calling index: index out of range: 5"),
        ("{{join .Id}}", "template: :1:2: executing \"\" at <join>: wrong number of args for join: want 2 got 1"),
        ("{{upper 3}}", "template: :1:8: executing \"\" at <3>: expected string; found 3"),
        ("{{upper .State.Pid}}", "template: :1:14: executing \"\" at <.State.Pid>: wrong type for value; expected string; got int"),
        ("{{upper .Nope}}", "template: :1:8: executing \"\" at <.Nope>: invalid value; expected string"),
        ("{{truncate .Id \"x\"}}", "template: :1:15: executing \"\" at <\"x\">: expected integer; found \"x\""),
        ("{{eq .Id 1}}", "template: :1:2: executing \"\" at <eq .Id 1>: error calling eq: incompatible types for comparison"),
        ("{{len 3}}", "template: :1:2: executing \"\" at <len 3>: error calling len: len of type int"),
        ("{{range .Id}}{{end}}", "template: :1:8: executing \"\" at <{{range .Id}}{{end}}>: range can't iterate over abc123"),
        ("{{range .Id}}{{.}}{{end}}", "template: :1:8: executing \"\" at <{{range .Id}}{{.}}{{...>: range can't iterate over abc123"),
        ("{{.Id 1}}", "template: :1:2: executing \"\" at <.Id>: Id is not a method but has arguments"),
        ("{{\"x\" 1}}", "template: :1:2: executing \"\" at <\"x\">: can't give argument to non-function \"x\""),
        ("ab\n  {{.Config.Labels.b.Xyzw}}", "template: :2:11: executing \"\" at <.Config.Labels.b.Xyz...>: can't evaluate field Xyzw in type string"),
    ];
    for (tpl, want) in cases {
        assert_eq!(err(tpl), want, "{tpl}");
    }
}

#[test]
fn missingkey_error_as_docker_inspect() {
    // docker inspect -f retries on the raw JSON with missingkey=error.
    let t = Template::parse("{{.State.Nope}}").unwrap();
    let opts = Options {
        missing_key_error: true,
        ..Options::default()
    };
    assert_eq!(
        t.execute_with(&data(), &opts).unwrap_err().to_string(),
        "template: :1:8: executing \"\" at <.State.Nope>: map has no entry for key \"Nope\""
    );
    let t = Template::parse("{{.NetworkSettings.Networks}}").unwrap();
    assert_eq!(
        t.execute_with(&data(), &opts).unwrap_err().to_string(),
        "template: :1:18: executing \"\" at <.NetworkSettings.Net...>: map has no entry for key \"NetworkSettings\""
    );
    // Present keys still work.
    let t = Template::parse("{{.State.Pid}}").unwrap();
    assert_eq!(t.execute_with(&data(), &opts).unwrap(), "4242");
}

#[test]
fn root_fields_act_as_methods_of_a_struct() {
    let row = json!({"ID": "abc", "Labels": "a=1,b=2"});
    let labels = json!({"a": "1", "b": "2"});
    let hook = |name: &str, args: &[Value]| match name {
        "Label" => Some(match args {
            [Value::String(k)] => Ok(labels
                .get(k)
                .cloned()
                .unwrap_or(Value::String(String::new()))),
            _ => Err(format!(
                "wrong number of args for Label: want 1 got {}",
                args.len()
            )),
        }),
        _ => None,
    };
    let opts = Options {
        root_type: Some("*formatter.ContainerContext"),
        root_fields: Some(&hook),
        ..Options::default()
    };
    let run = |tpl: &str| Template::parse(tpl).and_then(|t| t.execute_with(&row, &opts));
    assert_eq!(
        run(r#"{{.ID}} {{.Label "b"}} [{{.Label "x"}}] {{"a" | .Label}}"#).unwrap(),
        "abc 2 [] 1"
    );
    assert_eq!(
        run("{{.Nope}}").unwrap_err().to_string(),
        "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type *formatter.ContainerContext"
    );
    // Methods belong to the row only, not to values inside it.
    assert_eq!(run("{{with .ID}}{{.}}{{end}}").unwrap(), "abc");
}

#[test]
fn header_functions_keep_column_names() {
    let t =
        Template::parse(r#"{{upper .Names}}\t{{json .ID}}\t{{truncate .ID 2}}\t{{pad .ID 1 1}}"#)
            .unwrap();
    let header = json!({"Names": "NAMES", "ID": "CONTAINER ID"});
    let opts = Options {
        header: true,
        ..Options::default()
    };
    assert_eq!(
        t.execute_with(&header, &opts).unwrap(),
        r"NAMES\tCONTAINER ID\tCONTAINER ID\t CONTAINER ID "
    );
}

#[test]
fn one_parse_many_executions() {
    let t = Template::parse("{{.N}}-{{len .L}}").unwrap();
    assert_eq!(t.execute(&json!({"N": 1, "L": [1]})).unwrap(), "1-1");
    assert_eq!(t.execute(&json!({"N": "x", "L": []})).unwrap(), "x-0");
}
