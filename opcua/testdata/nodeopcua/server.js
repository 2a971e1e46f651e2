// A node-opcua server used as an independent peer by the opcua package
// tests. Configured by environment variables:
//
//   PORT       TCP port to listen on (required)
//   PKI_DIR    folder of the server's PKI store (own certificate, trusted
//              and rejected client certificates); reused across restarts so
//              a restarted server keeps its certificate
//   OPC_USER   with OPC_PASS: the one accepted user (anonymous is allowed
//              too unless NO_ANONYMOUS=1)
//   COUNT      number of extra changing Double variables (default 10)
//   RATE_MS    change period of every variable in ms (default 100)
//   LATE_MS    when set, Plant.Late (UInt32) appears that many ms after
//              start (a node that is unknown at first, as after a PLC
//              download)
//   STRUCTS    when 1, loads structs.NodeSet2.xml (namespace
//              urn:edgetag:test:structs, registered before
//              urn:edgetag:test:nodeopcua, whose index then moves up by one)
//              and adds Plant/Structs with structured variables (see
//              addStructs, addStructGaps)
//   EVENTS     when 1, adds the event objects of addEvents (below)
//   LEVEL      with EVENTS: the first value of Plant.Boiler.Level
//              (default 50; 95 starts the level alarm active)
//
// Address space (namespace urn:edgetag:test:nodeopcua, index 1 on a fresh
// server): Objects/Plant with Counter (UInt32), Temperature (Double),
// Running (Boolean), State (String), Big (UInt64), Static (String, never
// changes), and Plant/Scale with
// Tag00000..Tag<COUNT-1> (Double). String node ids are "Plant.<name>" and
// "Plant.Scale.<name>".
//
// Objects/Commands (outside Plant, so browsing Plant is unchanged) holds
// what clients may change: one writable variable per built-in scalar type
// (s=Commands.<Type>: Boolean .. Double, String, DateTime, Guid,
// ByteString, LocalizedText, NodeId), DoubleArray and Int32Array, ReadOnly
// (a Double clients may not write) and the method Add(a Double, b Double)
// -> Double on the object Commands.
//
// It prints "ready <endpoint>" on stdout once it listens and exits on
// SIGTERM/SIGINT after shutting down.
"use strict";
const {
    OPCUAServer,
    OPCUACertificateManager,
    Variant,
    DataType,
    VariantArrayType,
    StatusCodes,
    resolveNodeId,
    SecurityPolicy,
    MessageSecurityMode,
    nodesets,
} = require("node-opcua");
const path = require("path");

// machineValue is a Machine of the test namespace (the values of
// structMachine in the Go tests), named name, its UInt64 counter [high, low].
function machineValue(addressSpace, name, counter) {
    const sns = addressSpace.getNamespace("urn:edgetag:test:structs");
    return addressSpace.constructExtensionObject(addressSpace.findDataType("Machine", sns.index), {
        name,
        mode: 2,
        counter,
        axis: { x: 1.5, y: 0.25 },
        tools: [
            { id: "T1", wear: 0.125 },
            { id: "T2", wear: 0.5 },
        ],
        temps: [20.5, 21],
        options: { a: 7, c: "set" },
        choice: { text: "chosen" },
        running: true,
        started: new Date(Date.UTC(2026, 2, 1, 12, 0, 0, 123)),
    });
}

// addStructs adds Plant/Structs: Machine (a Machine structure: enum,
// UInt64, nested Axis, array of Tool, array of Double, Options with optional
// fields, Choice union, Boolean, DateTime), Machines (an array of two
// Machine), Sparse (Options with no optional field set), Mode (the Mode
// enumeration) and Counting (a Machine whose counter follows the tick).
// The values match structMachine in the Go tests. Setpoint (a Machine) and
// Setpoints (an array of Options) are writable, unchanged until written.
// The method Echo(options Options) -> Options on Plant/Structs returns its
// argument with a incremented and c set to "echo".
function addStructs(addressSpace, ns, plant) {
    const sns = addressSpace.getNamespace("urn:edgetag:test:structs");
    const dt = (name) => addressSpace.findDataType(name, sns.index);
    const folder = ns.addFolder(plant, { browseName: "Structs", nodeId: "s=Plant.Structs" });
    const machine = (name, counter) => machineValue(addressSpace, name, counter);
    const add = (name, dataType, value, valueRank, access) =>
        ns.addVariable({
            componentOf: folder,
            browseName: name,
            nodeId: "s=Plant.Structs." + name,
            dataType: dt(dataType),
            valueRank: valueRank === undefined ? -1 : valueRank,
            accessLevel: access || "CurrentRead",
            userAccessLevel: access || "CurrentRead",
            minimumSamplingInterval: 50,
            value,
        });
    add("Machine", "Machine", { dataType: DataType.ExtensionObject, value: machine("press 1", [0, 42]) });
    add("Machines", "Machine", {
        dataType: DataType.ExtensionObject,
        arrayType: VariantArrayType.Array,
        value: [machine("press 1", [0, 1]), machine("press 2", [0, 2])],
    }, 1);
    add("Sparse", "Options", { dataType: DataType.ExtensionObject, value: addressSpace.constructExtensionObject(dt("Options"), { a: -3 }) });
    add("Mode", "Mode", { dataType: DataType.Int32, value: 1 });
    const rw = "CurrentRead | CurrentWrite";
    add("Setpoint", "Machine", { dataType: DataType.ExtensionObject, value: machine("setpoint", [0, 0]) }, -1, rw);
    add("Setpoints", "Options", {
        dataType: DataType.ExtensionObject,
        arrayType: VariantArrayType.Array,
        value: [addressSpace.constructExtensionObject(dt("Options"), { a: 0 })],
    }, 1, rw);
    const echo = ns.addMethod(folder, {
        browseName: "Echo",
        nodeId: "s=Plant.Structs.Echo",
        inputArguments: [{ name: "options", dataType: dt("Options").nodeId }],
        outputArguments: [{ name: "same", dataType: dt("Options").nodeId }],
    });
    echo.bindMethod((inputArguments, context, callback) => {
        const o = inputArguments[0].value;
        const out = addressSpace.constructExtensionObject(dt("Options"), { a: o.a + 1, b: o.b, c: "echo" });
        callback(null, { statusCode: StatusCodes.Good, outputArguments: [{ dataType: DataType.ExtensionObject, value: out }] });
    });
    const counting = add("Counting", "Machine", { dataType: DataType.ExtensionObject, value: machine("counting", [0, 0]) });
    return (tick) => counting.setValueFromSource(new Variant({ dataType: DataType.ExtensionObject, value: machine("counting", [0, tick]) }));
}

// addStructGaps adds to Plant/Structs (STRUCTS=1) the enumeration and
// multi-dimensional cases: Phase (a node of the Phase enumeration, numbers
// 10/20/30 in EnumValues, served without DataTypeDefinition as an OPC UA
// 1.03 server does), Modes (an array of Mode with 5, a number without a
// name) and Grid (a 2x2 matrix of Machine, row-major "r0c0" .. "r1c1" with
// counters 0..3). The values match the Go tests (struct_peer_test.go).
function addStructGaps(addressSpace, ns) {
    const sns = addressSpace.getNamespace("urn:edgetag:test:structs");
    const folder = addressSpace.findNode("ns=" + ns.index + ";s=Plant.Structs");
    const phase = ns.addEnumerationType({
        browseName: "Phase",
        enumeration: [
            { displayName: "Fill", value: 10 },
            { displayName: "Dose", value: 20 },
            { displayName: "Drain", value: 30 },
        ],
    });
    phase._getDefinition = () => undefined;
    const add = (name, dataType, value, valueRank, arrayDimensions) =>
        ns.addVariable({
            componentOf: folder,
            browseName: name,
            nodeId: "s=Plant.Structs." + name,
            dataType,
            valueRank,
            arrayDimensions,
            minimumSamplingInterval: 50,
            value,
        });
    add("Phase", phase, { dataType: DataType.Int32, value: 20 }, -1);
    add("Modes", addressSpace.findDataType("Mode", sns.index), {
        dataType: DataType.Int32,
        arrayType: VariantArrayType.Array,
        value: [0, 2, 5],
    }, 1);
    const machine = addressSpace.findDataType("Machine", sns.index);
    const cell = (name, counter) => machineValue(addressSpace, name, [0, counter]);
    add("Grid", machine, {
        dataType: DataType.ExtensionObject,
        arrayType: VariantArrayType.Matrix,
        dimensions: [2, 2],
        value: [cell("r0c0", 0), cell("r0c1", 1), cell("r1c0", 2), cell("r1c1", 3)],
    }, 2, [2, 2]);
}

async function main() {
    const port = parseInt(process.env.PORT || "0", 10);
    if (!port) {
        throw new Error("PORT is required");
    }
    const pkiDir = process.env.PKI_DIR || "./pki";
    const user = process.env.OPC_USER || "";
    const pass = process.env.OPC_PASS || "";
    const count = parseInt(process.env.COUNT || "10", 10);
    const rate = parseInt(process.env.RATE_MS || "100", 10);
    const maxItemsPerSub = parseInt(process.env.MAX_ITEMS_PER_SUB || "100000", 10);
    // Browse continuation points one session may hold (0 = no limit);
    // node-opcua announces the limit and enforces it.
    const maxBrowseCPs = parseInt(process.env.MAX_BROWSE_CP || "0", 10);
    // FOLDERS > 0 spreads the COUNT scale tags over that many folders
    // Plant/Scale/GroupNNN (node ids s=Plant.Scale.GroupNNN); the tags keep
    // their node ids s=Plant.Scale.TagNNNNN.
    const folders = parseInt(process.env.FOLDERS || "0", 10);

    const serverCertificateManager = new OPCUACertificateManager({
        rootFolder: pkiDir,
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
    });
    await serverCertificateManager.initialize();

    // X.509 user certificates are accepted when unknown (the tests bring
    // their own), so the X.509 identity can be exercised.
    const userCertificateManager = new OPCUACertificateManager({
        rootFolder: pkiDir + "-users",
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
    });
    await userCertificateManager.initialize();

    const server = new OPCUAServer({
        port,
        hostname: "127.0.0.1",
        serverCertificateManager,
        userCertificateManager,
        allowAnonymous: process.env.NO_ANONYMOUS !== "1",
        securityPolicies: [
            SecurityPolicy.None,
            SecurityPolicy.Basic256Sha256,
            SecurityPolicy.Aes128_Sha256_RsaOaep,
            SecurityPolicy.Aes256_Sha256_RsaPss,
        ],
        securityModes: [
            MessageSecurityMode.None,
            MessageSecurityMode.Sign,
            MessageSecurityMode.SignAndEncrypt,
        ],
        userManager: {
            isValidUser: (u, p) => user !== "" && u === user && p === pass,
        },
        buildInfo: {
            productName: "edgetag node-opcua peer",
            manufacturerName: "node-opcua",
        },
        serverCapabilities: {
            maxSessions: 50,
            maxMonitoredItemsPerSubscription: maxItemsPerSub,
            maxBrowseContinuationPoints: maxBrowseCPs,
            operationLimits: {
                maxMonitoredItemsPerCall: 1000,
                maxNodesPerRead: 1000,
                maxNodesPerBrowse: 1000,
            },
        },
        maxConnectionsPerEndpoint: 50,
        nodeset_filename: process.env.STRUCTS === "1"
            ? [nodesets.standard, path.join(__dirname, "structs.NodeSet2.xml")]
            : [nodesets.standard],
    });
    await server.initialize();

    const addressSpace = server.engine.addressSpace;
    const ns = addressSpace.registerNamespace("urn:edgetag:test:nodeopcua");
    const plant = ns.addFolder(addressSpace.rootFolder.objects, {
        browseName: "Plant",
        nodeId: "s=Plant",
    });
    const scale = ns.addFolder(plant, { browseName: "Scale", nodeId: "s=Plant.Scale" });

    let tick = 0;
    const vars = [];
    const structsTick = process.env.STRUCTS === "1" ? addStructs(addressSpace, ns, plant) : null;
    if (process.env.STRUCTS === "1") {
        addStructGaps(addressSpace, ns);
    }
    const add = (parent, name, dataType, value) => {
        const v = ns.addVariable({
            componentOf: parent,
            browseName: name,
            nodeId: "s=" + (parent === plant ? "Plant." : "Plant.Scale.") + name,
            dataType,
            minimumSamplingInterval: 50,
        });
        v.setValueFromSource(new Variant({ dataType: DataType[dataType], arrayType: VariantArrayType.Scalar, value: value(0) }));
        vars.push({ v, dataType, value });
    };
    add(plant, "Counter", "UInt32", (t) => t);
    add(plant, "Temperature", "Double", (t) => 20 + (t % 100) / 10);
    add(plant, "Running", "Boolean", (t) => t % 2 === 0);
    add(plant, "State", "String", (t) => "state-" + (t % 5));
    // 2^53 + 1 + t, beyond the exact range of a double
    add(plant, "Big", "UInt64", (t) => [0x200000, 1 + t]);
    // Static never changes: a value seen twice after a reconnect proves
    // the client read it again.
    add(plant, "Static", "String", () => "constant");
    const perFolder = folders > 0 ? Math.ceil(count / folders) : count;
    let parent = scale;
    for (let i = 0; i < count; i++) {
        if (folders > 0 && i % perFolder === 0) {
            const g = "Group" + String(i / perFolder).padStart(3, "0");
            parent = ns.addFolder(scale, { browseName: g, nodeId: "s=Plant.Scale." + g });
        }
        const name = "Tag" + String(i).padStart(5, "0");
        add(parent, name, "Double", (t) => i + t / 1000);
    }

    const timer = setInterval(() => {
        tick++;
        if (structsTick) {
            structsTick(tick);
        }
        for (const { v, dataType, value } of vars) {
            if (v.browseName.name === "Static") {
                continue;
            }
            v.setValueFromSource(new Variant({ dataType: DataType[dataType], arrayType: VariantArrayType.Scalar, value: value(tick) }));
        }
    }, rate);

    const commands = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: "Commands", nodeId: "s=Commands" });
    const rw = "CurrentRead | CurrentWrite";
    const writable = (name, dataType, value, array, access) => {
        ns.addVariable({
            componentOf: commands,
            browseName: name,
            nodeId: "s=Commands." + name,
            dataType,
            valueRank: array ? 1 : -1,
            arrayDimensions: array ? [0] : null,
            accessLevel: access || rw,
            userAccessLevel: access || rw,
            minimumSamplingInterval: 50,
            value: new Variant({ dataType: DataType[dataType], arrayType: array ? VariantArrayType.Array : VariantArrayType.Scalar, value }),
        });
    };
    writable("Boolean", "Boolean", false);
    writable("SByte", "SByte", 0);
    writable("Byte", "Byte", 0);
    writable("Int16", "Int16", 0);
    writable("UInt16", "UInt16", 0);
    writable("Int32", "Int32", 0);
    writable("UInt32", "UInt32", 0);
    writable("Int64", "Int64", [0, 0]);
    writable("UInt64", "UInt64", [0, 0]);
    writable("Float", "Float", 0);
    writable("Double", "Double", 0);
    writable("String", "String", "");
    writable("DateTime", "DateTime", new Date(0));
    writable("Guid", "Guid", "00000000-0000-0000-0000-000000000000");
    writable("ByteString", "ByteString", Buffer.alloc(0));
    writable("LocalizedText", "LocalizedText", { text: "" });
    writable("NodeId", "NodeId", resolveNodeId("i=85"));
    writable("DoubleArray", "Double", new Float64Array([0]), true);
    writable("Int32Array", "Int32", new Int32Array([0]), true);
    writable("ReadOnly", "Double", 1.5, false, "CurrentRead");
    const addMethod = ns.addMethod(commands, {
        browseName: "Add",
        nodeId: "s=Commands.Add",
        inputArguments: [
            { name: "a", dataType: DataType.Double },
            { name: "b", dataType: DataType.Double },
        ],
        outputArguments: [{ name: "sum", dataType: DataType.Double }],
    });
    addMethod.bindMethod((inputArguments, context, callback) => {
        callback(null, {
            statusCode: StatusCodes.Good,
            outputArguments: [{ dataType: DataType.Double, value: inputArguments[0].value + inputArguments[1].value }],
        });
    });
    let eventsTimer = null;
    if (process.env.EVENTS === "1") {
        eventsTimer = addEvents(addressSpace, ns, plant, rate);
    }

    const lateMs = parseInt(process.env.LATE_MS || "0", 10);
    let lateTimer = null;
    if (lateMs > 0) {
        lateTimer = setTimeout(() => add(plant, "Late", "UInt32", (t) => t), lateMs);
    }

    await server.start();
    process.stdout.write("ready " + server.getEndpointUrl() + "\n");

    const stop = async () => {
        clearInterval(timer);
        clearTimeout(lateTimer);
        clearInterval(eventsTimer);
        await server.shutdown(0);
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

// addEvents adds Plant/Boiler (s=Plant.Boiler), an object with an
// EventNotifier that is an event source of the Server object, and below it:
//   - a plain event (BaseEventType, SourceName "Boiler") raised every rate
//     ms, with Message "tick <n>" and a Severity alternating 100 and 800;
//   - Level (s=Plant.Boiler.Level, Double, writable, first value LEVEL)
//     and LevelAlarm (s=Plant.Boiler.LevelAlarm), an ExclusiveLimitAlarm on
//     it (limits 10/25/75/90): writing 95 makes it active (HighHigh,
//     severity 150), writing 50 returns it to normal. Acknowledge and
//     Confirm are those of node-opcua's alarms.
// It returns the timer of the plain events.
function addEvents(addressSpace, ns, plant, rate) {
    const server = addressSpace.rootFolder.objects.server;
    // Binds ConditionRefresh, Acknowledge, Confirm, AddComment, ...
    addressSpace.installAlarmsAndConditionsService();
    const boiler = ns.addObject({
        browseName: "Boiler",
        nodeId: "s=Plant.Boiler",
        organizedBy: plant,
        eventSourceOf: server,
        eventNotifier: 1,
    });
    const level = ns.addVariable({
        componentOf: boiler,
        browseName: "Level",
        nodeId: "s=Plant.Boiler.Level",
        dataType: "Double",
        accessLevel: "CurrentRead | CurrentWrite",
        userAccessLevel: "CurrentRead | CurrentWrite",
    });
    level.setValueFromSource(new Variant({ dataType: DataType.Double, value: parseFloat(process.env.LEVEL || "50") }));
    const alarm = ns.instantiateExclusiveLimitAlarm("ExclusiveLimitAlarmType", {
        browseName: "LevelAlarm",
        nodeId: "s=Plant.Boiler.LevelAlarm",
        componentOf: boiler,
        conditionSource: boiler,
        inputNode: level,
        lowLowLimit: 10,
        lowLimit: 25,
        highLimit: 75,
        highHighLimit: 90,
    });
    // Evaluate the first value: an alarm is computed on changes only.
    level.setValueFromSource(new Variant({ dataType: DataType.Double, value: level.readValue().value.value }));
    void alarm;
    let n = 0;
    return setInterval(() => {
        n++;
        boiler.raiseEvent("BaseEventType", {
            message: { dataType: DataType.LocalizedText, value: { text: "tick " + n } },
            severity: { dataType: DataType.UInt16, value: n % 2 === 0 ? 800 : 100 },
            sourceName: { dataType: DataType.String, value: "Boiler" },
        });
    }, rate);
}

main().catch((err) => {
    process.stderr.write("server: " + (err && err.stack ? err.stack : err) + "\n");
    process.exit(1);
});
