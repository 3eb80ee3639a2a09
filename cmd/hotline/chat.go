package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/hotline12345/hotline/channels"
	"github.com/hotline12345/hotline/dialog"
	"github.com/hotline12345/hotline/server"
	"github.com/hotline12345/hotline/store"
)

// chat runs one conversation with the bot in this terminal, in process.
// Options are numbered; typing the number picks one.
func chat(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("hotline chat", flag.ContinueOnError)
	kb := fs.String("kb", "./kb-data", "knowledge base directory (kb-data)")
	data := fs.String("data", "", "data directory to keep the conversation in (default: a temporary one, removed at exit)")
	models := fs.String("model-dir", os.Getenv("HOTLINE_MODEL_DIR"), "directory of the trained NLU models (env HOTLINE_MODEL_DIR; default: <data>/models)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "hotline-chat-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	fmt.Fprintln(stdout, "正在加载知识库和分词词典，请稍候…")
	core, err := server.OpenCore(ctx, server.CoreConfig{DataDir: dir, KBDir: *kb, ModelDir: *models})
	if err != nil {
		return err
	}
	defer core.Close()

	conv, err := core.Bot.Open(ctx, "cli", dialog.NewID())
	if err != nil {
		return err
	}
	var (
		seen    int64
		options []string
	)
	show := func() error {
		msgs, err := core.Store.Messages(ctx, conv.ID, seen, 1000)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			seen = m.Seq
			if m.From == store.FromCitizen {
				continue
			}
			fmt.Fprintf(stdout, "\n【12345】%s\n", m.Text)
			options = m.Options
			for i, o := range m.Options {
				fmt.Fprintf(stdout, "  %d. %s\n", i+1, o)
			}
		}
		fmt.Fprint(stdout, "\n您：")
		return nil
	}
	if err := show(); err != nil {
		return err
	}
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 64<<10)
	for n := 1; in.Scan(); n++ {
		text := strings.TrimSpace(in.Text())
		if text == "" {
			fmt.Fprint(stdout, "您：")
			continue
		}
		if i, err := strconv.Atoi(text); err == nil && i >= 1 && i <= len(options) {
			text = options[i-1]
			fmt.Fprintf(stdout, "（%s）\n", text)
		}
		err := core.Bot.Handle(ctx, channels.Inbound{
			Channel: "cli", Conversation: conv.ID, ID: strconv.Itoa(n), Kind: channels.KindText, Text: text,
		}, nil)
		if err != nil {
			return err
		}
		if err := show(); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout)
	return in.Err()
}
